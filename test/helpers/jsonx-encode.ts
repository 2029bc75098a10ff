// An audit entry's JSON line → its JSONx line, written the way Vault writes `format=jsonx`
// (github.com/jefferai/jsonx EncodeJSONBytes): the top-level object's members only, keys sorted,
// names and values XML-escaped as Go's xml.EscapeText does (so a newline is `&#xA;` and the
// document stays on one line). Independent of src/: the tests' own writer of the format.
// `full`: the library's Marshal form instead (XML declaration and a root json:object).

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&#34;",
  "'": "&#39;",
  "\t": "&#x9;",
  "\n": "&#xA;",
  "\r": "&#xD;",
};

function escapeXml(text: string): string {
  return text.replace(/[&<>"'\t\n\r]/g, (c) => ESCAPES[c]!);
}

function element(value: unknown, name: string | undefined): string {
  const attr = name === undefined ? "" : ` name="${escapeXml(name)}"`;
  if (value === null) return `<json:null${attr} />`;
  if (typeof value === "boolean") return `<json:boolean${attr}>${value}</json:boolean>`;
  if (typeof value === "number") return `<json:number${attr}>${value}</json:number>`;
  if (typeof value === "string") return `<json:string${attr}>${escapeXml(value)}</json:string>`;
  if (Array.isArray(value))
    return `<json:array${attr}>${value.map((v) => element(v, undefined)).join("")}</json:array>`;
  return `<json:object${attr}>${members(value as Record<string, unknown>)}</json:object>`;
}

function members(object: Record<string, unknown>): string {
  return Object.keys(object)
    .sort()
    .map((k) => element(object[k], k))
    .join("");
}

const HEADER =
  '<?xml version="1.0" encoding="UTF-8"?><json:object xsi:schemaLocation="http://www.datapower.com/schemas/json jsonx.xsd" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:json="http://www.ibm.com/xmlns/prod/2009/jsonx">';

export function jsonxLine(jsonLine: string, full = false): string {
  const body = members(JSON.parse(jsonLine) as Record<string, unknown>);
  return full ? `${HEADER}${body}</json:object>` : body;
}
