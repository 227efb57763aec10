import { TokenRefreshError } from './token-refresh-error.js';

/**
Why the credentials file (Node `FileStore`) could not be used:
- `corrupt`: it is not JSON;
- `foreign`: it is JSON, but not a record this package wrote (no `"ky-token-refresh": 1` envelope, another
  version, or a field of the record has the wrong type);
- `unreadable`: it exists but cannot be read (permissions, a directory in its place, an I/O error);
- `unwritable`: the new version could not be written (permissions, read-only or full file system); the old
  file is left as it was.
*/
export type CredentialsFileErrorReason = 'corrupt' | 'foreign' | 'unreadable' | 'unwritable';

/**
The credentials file of a Node `FileStore` is corrupt, foreign, unreadable or unwritable. The file is never
overwritten because of it: fix or remove it. Carries the path, never the file's content (it may hold
tokens); `cause` is the file-system error, when there is one.
*/
export class CredentialsFileError extends TokenRefreshError {
  override name = 'CredentialsFileError';
  /** What is wrong with the file. */
  readonly reason: CredentialsFileErrorReason;
  /** Absolute path of the credentials file. */
  readonly path: string;

  constructor(reason: CredentialsFileErrorReason, path: string, detail?: string, options?: ErrorOptions) {
    const what = {
      corrupt: 'is not valid JSON',
      foreign: 'is not a ky-token-refresh credentials file',
      unreadable: 'cannot be read',
      unwritable: 'cannot be written',
    }[reason];
    const outcome = reason === 'unwritable' ? 'the previous file was kept' : 'it was left untouched';
    super(
      'ERR_CREDENTIALS_FILE',
      `The credentials file ${path} ${what}${detail ? ` (${detail})` : ''}; ${outcome}.`,
      options,
    );
    this.reason = reason;
    this.path = path;
  }
}

export const isCredentialsFileError = (error: unknown): error is CredentialsFileError =>
  error instanceof CredentialsFileError;
