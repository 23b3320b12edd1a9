import { CONSOLE_HTML } from "../../console/page.ts";

/**
 * The page holds no data (it fetches /api/* with the key the user types), so it is served without
 * the API key. The policy allows only this page's own inline code and same-origin calls.
 */
const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "content-security-policy":
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

export function consoleHandler() {
  return () => new Response(CONSOLE_HTML, { headers: HEADERS });
}
