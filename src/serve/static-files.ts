// The web page's files (built into dist/web/ from web/), served at `/`: a path maps to a file
// under the directory and never outside it (`..`, encoded or not, is refused); a path with no
// file extension that names no file gets index.html (the page reads its state from the URL).
// Without a built page the server still answers the API and says so at `/`.
import fs from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

export const NO_PAGE_HTML =
  "<!doctype html><meta charset=utf-8><title>breakglass</title>" +
  "<p>The web page is not built (npm run build makes dist/web/). The API is at " +
  '<a href="/api/v1/openapi.json">/api/v1</a>.</p>\n';

/**
 * Where the built page is: dist/web/ beside the bundle (dist/bundle/) or the compiled sources
 * (dist/src/serve/); the first that holds an index.html.
 */
export async function defaultWebDir(): Promise<string | undefined> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const dir of [path.resolve(here, "../web"), path.resolve(here, "../../web")]) {
    try {
      await fs.access(path.join(dir, "index.html"));
      return dir;
    } catch {
      // not this one
    }
  }
  return undefined;
}

export interface StaticFile {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The file a URL path names under `root`, or undefined (404). */
export async function staticFile(root: string, urlPath: string): Promise<StaticFile | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0")) return undefined;
  const rel = decoded.replace(/^\/+/, "") || "index.html";
  const file = path.resolve(root, rel);
  if (file !== root && !file.startsWith(root + path.sep)) return undefined;
  const found =
    (await readIfFile(file)) ??
    (path.extname(rel) === "" ? await readIfFile(path.join(root, "index.html")) : undefined);
  return found;
}

async function readIfFile(file: string): Promise<StaticFile | undefined> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return undefined;
    const body = await fs.readFile(file);
    const contentType =
      CONTENT_TYPES[path.extname(file).toLowerCase()] ?? "application/octet-stream";
    return { body, contentType };
  } catch {
    return undefined;
  }
}
