/**
 * The console page, embedded in the binary as text (Bun's text loader inlines it at build time),
 * so it works offline with no build step. bun-types declares *.html as an HTML bundle; with
 * `type: "text"` it is a plain string at run time.
 */
import page from "./page.html" with { type: "text" };

export const CONSOLE_HTML: string = page as unknown as string;
