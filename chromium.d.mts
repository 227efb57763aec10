/** Path of the chromium binary: CHROMIUM_PATH, else Debian's /usr/bin/chromium. */
export declare const chromiumExecutablePath: string;
/** The flags chromium is launched with (headless, no sandbox as root, no background networking). */
export declare const chromiumArgs: string[];
/** `{ executablePath, args }`, ready for Playwright's `launch()` / `launchOptions`. */
export declare const chromiumLaunchOptions: { executablePath: string; args: string[] };
