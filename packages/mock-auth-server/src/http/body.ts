import type { BodyReadResult } from './types.ts';

/** Largest request body the server reads: 64 KiB. Larger bodies are answered 413. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Joins byte chunks and decodes them as UTF-8. */
export function decodeChunks(chunks: readonly Uint8Array[], size: number): string {
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/** Reads a web ReadableStream (fetch, MSW) as UTF-8 text, cancelling it once it passes `limitBytes`. */
export async function readStreamLimited(
  stream: ReadableStream<Uint8Array> | null,
  limitBytes: number,
): Promise<BodyReadResult> {
  if (stream === null) return { ok: true, text: '' };
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      await reader.cancel().catch(() => undefined);
      return { ok: false, reason: 'too_large' };
    }
    chunks.push(value);
  }
  return { ok: true, text: decodeChunks(chunks, size) };
}
