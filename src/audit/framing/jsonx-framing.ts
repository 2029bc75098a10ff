// JSONx framing (an audit device with `format=jsonx`): the XML form of the same JSON object, one
// document a line. Vault encodes each entry's JSON with github.com/jefferai/jsonx and writes the
// members of the top-level object only, with no XML declaration and no root element:
//   <json:object name="auth">…</json:object><json:string name="type">request</json:string>
// The library's full form (`<?xml …?><json:object xmlns:json=…>…</json:object>`) is read too.
// This module turns either back into the entry's JSON text, so every field and query answers as
// on the JSON log. Pure; safe in workers. Cost: one pass of a SAX parser (saxes) a line.
//
// Element → JSON: json:object → {…} (members named by their `name` attribute), json:array → […],
// json:string → a string, json:number → the number as written, json:boolean → true/false,
// json:null → null. jsonx v1.0.0 (Vault before ~1.6) did not escape `&` in values: a bare `&`
// that starts no entity or character reference is read as itself.
import { SaxesParser, type SaxesTagPlain } from "saxes";

const LT = 60;
const HEADS = ["<json:", "<?xml"];

/** True when the line looks like a JSONx document (its first element or declaration). */
export function isJsonxLine(line: string): boolean {
  return line.charCodeAt(0) === LT && HEADS.some((h) => line.startsWith(h));
}

/** The JSON text of a JSONx line, or why it is not a JSONx entry. */
export type JsonxText = { readonly json: string } | { readonly problem: string };

const XML_DECLARATION = /^<\?xml[^?]*\?>/;
/** A `&` that starts no entity or character reference (written bare by jsonx v1.0.0). */
const BARE_AMPERSAND = /&(?![A-Za-z_][\w.-]*;|#\d+;|#x[\dA-Fa-f]+;)/g;
/** JSON's number grammar: json:number text is copied into the JSON as it is. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

type Kind = "object" | "array" | "string" | "number" | "boolean" | "null";
const KINDS: ReadonlySet<string> = new Set([
  "object",
  "array",
  "string",
  "number",
  "boolean",
  "null",
]);

interface Frame {
  readonly kind: Kind;
  /** Members or items written so far (objects and arrays). */
  count: number;
}

class JsonxProblem extends Error {}

/** Builds JSON text from one document's SAX events. */
class JsonxToJson {
  out = "";
  private stack: Frame[] = [];
  private text = "";
  /** The document is its top-level members (Vault's form); false once a root object opened. */
  private implicitRoot = true;
  private sawElement = false;
  /** Members written at the top level (Vault's form). */
  private rootCount = 0;

  reset(): void {
    this.out = "";
    this.stack = [];
    this.text = "";
    this.implicitRoot = true;
    this.sawElement = false;
    this.rootCount = 0;
  }

  open(tag: SaxesTagPlain): void {
    const kind = tag.name.startsWith("json:") ? tag.name.slice(5) : "";
    if (!KINDS.has(kind)) throw new JsonxProblem(`unexpected element <${tag.name}>`);
    const parent = this.stack[this.stack.length - 1];
    const nameAttr = tag.attributes.name;
    if (parent === undefined) {
      if (!this.sawElement && kind === "object" && nameAttr === undefined) {
        // The full form: one unnamed root object holds the members.
        this.implicitRoot = false;
        this.sawElement = true;
        this.out = "{";
        this.stack.push({ kind: "object", count: 0 });
        return;
      }
      if (!this.implicitRoot) throw new JsonxProblem("more than one root element");
      if (!this.sawElement) this.out = "{";
      this.sawElement = true;
      if (nameAttr === undefined) throw new JsonxProblem(`<${tag.name}> member has no name`);
      this.out += (this.rootCount++ > 0 ? "," : "") + JSON.stringify(nameAttr) + ":";
    } else if (parent.kind === "object") {
      if (nameAttr === undefined) throw new JsonxProblem(`<${tag.name}> member has no name`);
      this.out += (parent.count++ > 0 ? "," : "") + JSON.stringify(nameAttr) + ":";
    } else if (parent.kind === "array") {
      if (parent.count++ > 0) this.out += ",";
    } else {
      throw new JsonxProblem(`<${tag.name}> inside <json:${parent.kind}>`);
    }
    this.text = "";
    if (kind === "object") this.out += "{";
    else if (kind === "array") this.out += "[";
    this.stack.push({ kind: kind as Kind, count: 0 });
  }

  onText(text: string): void {
    const top = this.stack[this.stack.length - 1];
    if (top !== undefined && top.kind !== "object" && top.kind !== "array") this.text += text;
    else if (text.trim() !== "") throw new JsonxProblem("text outside a value");
  }

  close(): void {
    const frame = this.stack.pop()!;
    const text = this.text;
    this.text = "";
    switch (frame.kind) {
      case "object":
        this.out += "}";
        return;
      case "array":
        this.out += "]";
        return;
      case "string":
        this.out += JSON.stringify(text);
        return;
      case "number": {
        const n = text.trim();
        if (!JSON_NUMBER.test(n)) throw new JsonxProblem(`json:number ${JSON.stringify(n)}`);
        this.out += n;
        return;
      }
      case "boolean": {
        const b = text.trim();
        if (b !== "true" && b !== "false")
          throw new JsonxProblem(`json:boolean ${JSON.stringify(b)}`);
        this.out += b;
        return;
      }
      case "null":
        if (text.trim() !== "") throw new JsonxProblem("json:null with a value");
        this.out += "null";
        return;
    }
  }

  finish(): string {
    if (!this.sawElement) throw new JsonxProblem("no element");
    return this.implicitRoot ? this.out + "}" : this.out;
  }
}

let builder: JsonxToJson | undefined;
let parser: SaxesParser | undefined;

function newParser(b: JsonxToJson): SaxesParser {
  // A fragment: Vault writes several top-level elements and declares no namespace.
  const p = new SaxesParser({ fragment: true, position: false });
  p.on("opentag", (tag) => b.open(tag as SaxesTagPlain));
  p.on("text", (text) => b.onText(text));
  p.on("cdata", (text) => b.onText(text));
  p.on("closetag", () => b.close());
  return p;
}

/** The entry's JSON text of a JSONx line (no line ending), or why it cannot be read. */
export function jsonxText(line: string): JsonxText {
  const b = (builder ??= new JsonxToJson());
  b.reset();
  const body = line.replace(XML_DECLARATION, "").replace(BARE_AMPERSAND, "&amp;");
  try {
    parser ??= newParser(b);
    parser.write(body).close();
    return { json: b.finish() };
  } catch (err) {
    parser = undefined; // mid-document: a new one for the next line
    const why = err instanceof Error ? err.message.replace(/^undefined:\d*:?\d*:?\s*/, "") : "";
    return { problem: `not a JSONx entry (${why.slice(0, 80)})` };
  }
}
