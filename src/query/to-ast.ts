// CST → AST (ast.ts): the visitor that turns the parser's concrete syntax tree into the plain,
// readonly query the planner reads, and the place where words get their meaning. Contract: every
// field exists (resolve-field.ts), every literal has its LiteralForm, and the checks that need a
// field and a value together happen here (a CIDR is valid and used with `ip`, a time is a time,
// `<` compares times or numbers, a regex compiles, `top`/`limit` counts are whole numbers, a
// subquery ends in `distinct`). Anything wrong is a QueryError at the offending offset; nothing
// else escapes. Cost: linear in the CST.
import type { IToken } from "chevrotain";
import ipaddr from "ipaddr.js";
import { fieldByName, isOrdered, type FieldKind } from "../audit/field-catalog.js";
import { cidrRange, ipKey } from "../audit/ip-key.js";
import { parseInstant } from "../audit/time-key.js";
import { isRelativeTime } from "./relative-time.js";
import { QueryError } from "../errors.js";
import type {
  CompareOp,
  Expr,
  FieldRef,
  HashCall,
  Literal,
  LiteralForm,
  ListValue,
  Query,
  Stage,
  Subquery,
  Value,
} from "./ast.js";
import { checkPipeline } from "./check-pipeline.js";
import type {
  AndExprCstChildren,
  FieldCstChildren,
  FieldCstNode,
  HashCallCstChildren,
  ICstNodeVisitor,
  InValueCstChildren,
  ListCstChildren,
  NotExprCstChildren,
  OrExprCstChildren,
  PipeStageCstChildren,
  PredicateCstChildren,
  QueryCstChildren,
  StageCstChildren,
  SubqueryCstChildren,
  ValueCstChildren,
} from "./query-cst.js";
import { queryParser } from "./query-parser.js";
import { resolveField } from "./resolve-field.js";
import { compileSafeRegex } from "./safe-regex.js";

/** `top F` without a count shows this many. */
export const DEFAULT_TOP_N = 10;

const INTERVAL_UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const TIME_SHAPE =
  /^\d{4}-\d{2}-\d{2}(?:[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$/;
const CIDR_SHAPE = /^[0-9A-Fa-f:.]+\/\d+$/;
const NUMBER_SHAPE = /^-?\d+(?:\.\d+)?$/;
const TIME_HINT =
  "times are RFC 3339 (2026-01-01T00:00:00Z, 2026-01-01, 2026-01-01T08:00:00.5+02:00) " +
  "or relative (now, now-15m, now-1h, now-7d)";

function isIpAddress(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text) || ipaddr.IPv6.isValid(text);
}

/** How a bare word was written (the planner interprets it for the field it meets). */
export function wordForm(text: string): LiteralForm {
  if (TIME_SHAPE.test(text)) return "time";
  if (isRelativeTime(text)) return "relativeTime";
  if (CIDR_SHAPE.test(text) && isIpAddress(text.slice(0, text.lastIndexOf("/")))) return "cidr";
  if (NUMBER_SHAPE.test(text)) return "number";
  if (text.includes(".") || text.includes(":")) {
    if (ipKey(text) !== undefined) return "ip";
  }
  return "word";
}

const ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  t: "\t",
  r: "\r",
  b: "\b",
  f: "\f",
  "0": "\0",
  '"': '"',
  "'": "'",
  "\\": "\\",
  "/": "/",
};

/**
 * The text of a quoted string: JSON's escapes plus `\'`. An unknown escape keeps its backslash, so
 * regular expressions read naturally: `error ~ "not\s+valid"`.
 */
export function unquote(image: string): string {
  const body = image.slice(1, -1);
  if (!body.includes("\\")) return body;
  return body.replace(/\\(u[0-9A-Fa-f]{4}|[\s\S])/g, (whole, esc: string) => {
    if (esc.length === 5) return String.fromCharCode(parseInt(esc.slice(1), 16));
    return ESCAPES[esc] ?? whole;
  });
}

function cidrProblem(text: string): string | undefined {
  const slash = text.lastIndexOf("/");
  const addr = text.slice(0, slash);
  const bits = Number(text.slice(slash + 1));
  const v4 = ipaddr.IPv4.isValidFourPartDecimal(addr);
  if (!v4 && !ipaddr.IPv6.isValid(addr)) return `\`${addr}\` is not an IP address`;
  const max = v4 ? 32 : 128;
  if (!/^\d+$/.test(text.slice(slash + 1)) || bits > max) {
    return `the prefix length must be 0–${max} for ${v4 ? "IPv4" : "IPv6"}`;
  }
  const range = cidrRange(text);
  return typeof range === "string" ? range : undefined;
}

const BaseVisitor = queryParser.getBaseCstVisitorConstructor<void, unknown>();

/** One per parse: it carries the query text for error carets and subquery slices. */
export class ToAst extends BaseVisitor implements ICstNodeVisitor<void, unknown> {
  constructor(private readonly text: string) {
    super();
    this.validateVisitor();
  }

  private fail(message: string, offset: number, hint?: string): QueryError {
    return new QueryError(message, this.text, offset, hint);
  }

  query(children: QueryCstChildren): Query {
    const where: Expr = children.orExpr
      ? this.orExpr(children.orExpr[0]!.children)
      : { kind: "all" };
    const stages = (children.pipeStage ?? []).map((p) => this.pipeStage(p.children));
    checkPipeline(stages, this.text);
    return { kind: "query", where, stages, text: this.text };
  }

  pipeStage(children: PipeStageCstChildren): Stage {
    return this.stage(children.stage[0]!.children);
  }

  orExpr(children: OrExprCstChildren): Expr {
    const terms = children.andExpr.map((t) => this.andExpr(t.children));
    return terms.length === 1 ? terms[0]! : { kind: "or", terms };
  }

  andExpr(children: AndExprCstChildren): Expr {
    const terms = children.notExpr.map((t) => this.notExpr(t.children));
    return terms.length === 1 ? terms[0]! : { kind: "and", terms };
  }

  notExpr(children: NotExprCstChildren): Expr {
    if (children.Not) {
      return {
        kind: "not",
        operand: this.notExpr(children.notExpr![0]!.children),
        offset: children.Not[0]!.startOffset,
      };
    }
    if (children.orExpr) return this.orExpr(children.orExpr[0]!.children);
    return this.predicate(children.predicate![0]!.children);
  }

  predicate(children: PredicateCstChildren): Expr {
    const field = this.fieldOf(children.field![0]!);
    const offset = children.Exists ? children.Exists[0]!.startOffset : field.offset;
    if (children.Exists) return { kind: "exists", field, offset };
    if (children.In) {
      const value = this.inValue(children.inValue![0]!.children);
      this.checkIn(field, value, children.In[0]!);
      return { kind: "in", field, value, offset };
    }
    const opToken = children.CompareOp![0]!;
    const op = (opToken.image === "==" ? "=" : opToken.image) as CompareOp;
    const value = this.value(children.value![0]!.children);
    this.checkCompare(field, op, value);
    return { kind: "compare", field, op, value, offset };
  }

  field(children: FieldCstChildren): FieldRef {
    const word = children.Word[0]!;
    return resolveField(word.image, word.startOffset, this.text);
  }

  private fieldOf(node: FieldCstNode): FieldRef {
    return this.field(node.children);
  }

  value(children: ValueCstChildren): Literal | HashCall {
    if (children.hashCall) return this.hashCall(children.hashCall[0]!.children);
    if (children.QuotedString) {
      const token = children.QuotedString[0]!;
      return {
        kind: "literal",
        text: unquote(token.image),
        form: "string",
        offset: token.startOffset,
      };
    }
    const word = children.Word![0]!;
    return {
      kind: "literal",
      text: word.image,
      form: wordForm(word.image),
      offset: word.startOffset,
    };
  }

  hashCall(children: HashCallCstChildren): HashCall {
    return {
      kind: "hash",
      plaintext: unquote(children.QuotedString[0]!.image),
      offset: children.Hash[0]!.startOffset,
    };
  }

  inValue(children: InValueCstChildren): Value {
    if (children.subquery) return this.subquery(children.subquery[0]!.children);
    if (children.list) return this.list(children.list[0]!.children);
    return this.value(children.value![0]!.children);
  }

  subquery(children: SubqueryCstChildren): Subquery {
    const open = children.LParen[0]!;
    const close = children.RParen[0]!;
    const inner = this.query(children.query[0]!.children);
    const last = inner.stages[inner.stages.length - 1];
    if (last?.kind !== "distinct") {
      throw this.fail(
        "a subquery must end in `| distinct FIELD`",
        last ? last.offset : open.startOffset,
        "e.g. token in (ip = 10.0.0.1 | distinct token)",
      );
    }
    const text = this.text.slice(open.startOffset + 1, close.startOffset).trim();
    return { kind: "subquery", query: { ...inner, text }, offset: open.startOffset };
  }

  list(children: ListCstChildren): ListValue {
    return {
      kind: "list",
      items: children.value.map((v) => this.value(v.children)),
      offset: children.LBracket[0]!.startOffset,
    };
  }

  stage(children: StageCstChildren): Stage {
    const fields = (children.field ?? []).map((f) => this.fieldOf(f));
    const field = (): FieldRef => fields[0]!;
    if (children.Leases) return { kind: "leases", offset: children.Leases[0]!.startOffset };
    if (children.Distinct) {
      return { kind: "distinct", field: field(), offset: children.Distinct[0]!.startOffset };
    }
    if (children.Count) {
      const offset = children.Count[0]!.startOffset;
      return children.By ? { kind: "countBy", field: field(), offset } : { kind: "count", offset };
    }
    if (children.Top) {
      const nToken = children.n?.[0];
      const n = nToken
        ? this.wholeNumber(nToken, 1, "`top` needs a count of at least 1")
        : DEFAULT_TOP_N;
      return { kind: "top", n, field: field(), offset: children.Top[0]!.startOffset };
    }
    if (children.Fields) return { kind: "fields", fields, offset: children.Fields[0]!.startOffset };
    if (children.Sort) {
      return {
        kind: "sort",
        field: field(),
        desc: children.Desc !== undefined,
        offset: children.Sort[0]!.startOffset,
      };
    }
    if (children.Limit) {
      const n = this.wholeNumber(children.n![0]!, 0, "`limit` needs a whole number, 0 or more");
      return { kind: "limit", n, offset: children.Limit[0]!.startOffset };
    }
    if (children.Timeline) {
      const token = children.interval?.[0];
      return {
        kind: "timeline",
        intervalMs: token ? this.interval(token) : undefined,
        offset: children.Timeline[0]!.startOffset,
      };
    }
    return { kind: "pair", offset: children.Pair![0]!.startOffset };
  }

  private wholeNumber(token: IToken, min: number, message: string): number {
    const n = /^\d{1,15}$/.test(token.image) ? Number(token.image) : NaN;
    if (!(n >= min)) throw this.fail(`${message}, not \`${token.image}\``, token.startOffset);
    return n;
  }

  private interval(token: IToken): number {
    const m = /^(\d{1,9})([smhdw])$/.exec(token.image);
    const ms = m ? Number(m[1]) * INTERVAL_UNIT_MS[m[2]!]! : 0;
    if (!(ms > 0)) {
      throw this.fail(
        `\`${token.image}\` is not an interval`,
        token.startOffset,
        "intervals look like 30s, 5m, 1h, 1d or 1w",
      );
    }
    return ms;
  }

  private checkCompare(field: FieldRef, op: CompareOp, value: Literal | HashCall): void {
    const kind = field.catalog ? fieldByName(field.name)?.kind : undefined;
    const ordering = op === "<" || op === "<=" || op === ">" || op === ">=";
    if (value.kind === "hash") {
      if (kind === "ip" || kind === "time" || kind === "number" || ordering || op === "~") {
        throw this.fail(
          `\`hash()\` makes an HMAC string; it cannot be used with \`${field.name} ${op}\``,
          value.offset,
        );
      }
      return;
    }
    if (ordering && kind !== undefined && !isOrdered(kind)) {
      throw this.fail(
        `\`${op}\` compares times and numbers, and \`${field.name}\` is ${kind === "ip" ? "an address" : "text"}`,
        value.offset,
        kind === "ip"
          ? "for a range of addresses use `ip in 10.0.0.0/8`"
          : "use `=`, `^=` (prefix) or `~` (regex)",
      );
    }
    if (
      ordering &&
      !field.catalog &&
      !NUMBER_SHAPE.test(value.text) &&
      !parseInstant(value.text) &&
      value.form !== "relativeTime"
    ) {
      throw this.fail(`\`${op}\` needs a number or a time, not \`${value.text}\``, value.offset);
    }
    if (op === "~") {
      compileSafeRegex(value.text, this.text, value.offset);
      return;
    }
    if (op === "^=") return;
    if (value.text === "" && kind !== undefined) throw this.emptyValue(field, op, value);
    this.checkKindValue(field, kind, value, false);
  }

  /**
   * `F = ""` on a catalog field: an empty text is never a value (Vault writes `"error":""` for
   * "no error"), so the test would match nothing (or, with `!=`, everything). Say what to write.
   */
  private emptyValue(field: FieldRef, op: CompareOp, value: Literal): QueryError {
    const spec = fieldByName(field.name);
    const root = spec?.derived === "rootNamespace";
    return this.fail(
      `\`${field.name} ${op} ""\` ${op === "!=" ? "matches every entry" : "matches nothing"}: an empty value is no value`,
      value.offset,
      root
        ? "the root namespace is `namespace = root`; entries without a namespace: `not exists namespace`"
        : `entries without ${field.name}: \`not exists ${field.name}\`; with one: \`exists ${field.name}\``,
    );
  }

  /** A literal compared with `=` (or listed) must be a value of the field's kind. */
  private checkKindValue(
    field: FieldRef,
    kind: FieldKind | undefined,
    value: Literal,
    inList: boolean,
  ): void {
    switch (kind) {
      case "time":
        if (value.form !== "relativeTime" && !parseInstant(value.text)) {
          throw this.fail(`\`${value.text}\` is not a valid time`, value.offset, TIME_HINT);
        }
        return;
      case "ip":
        this.checkAddress(value, inList);
        return;
      case "number":
        if (!NUMBER_SHAPE.test(value.text)) {
          throw this.fail(
            `\`${field.name}\` is a number, not \`${value.text}\``,
            value.offset,
            `e.g. ${field.name} = 443, ${field.name} >= 1024`,
          );
        }
        return;
      case "text":
      case "hmac":
      case undefined:
        return;
    }
  }

  private checkAddress(value: Literal, allowCidr: boolean): void {
    const looksCidr = value.text.includes("/") && CIDR_SHAPE.test(value.text);
    if (looksCidr) {
      if (!allowCidr) {
        throw this.fail("a CIDR needs `in`", value.offset, `write: ip in ${value.text}`);
      }
      const problem = cidrProblem(value.text);
      if (problem) throw this.fail(`bad CIDR \`${value.text}\`: ${problem}`, value.offset);
      return;
    }
    if (ipKey(value.text) === undefined) {
      throw this.fail(
        `\`${value.text}\` is not an IP address`,
        value.offset,
        "ip takes an address (10.0.0.1, 2001:db8::1) or, with `in`, a CIDR (10.0.0.0/8)",
      );
    }
  }

  private checkIn(field: FieldRef, value: Value, inToken: IToken): void {
    const kind = field.catalog ? fieldByName(field.name)?.kind : undefined;
    switch (value.kind) {
      case "subquery":
        return;
      case "list":
        for (const item of value.items) {
          if (item.kind === "hash") {
            if (kind === "ip" || kind === "time" || kind === "number") {
              throw this.fail(
                "`hash()` makes an HMAC string, not an address, a time or a number",
                item.offset,
              );
            }
          } else {
            this.checkKindValue(field, kind, item, true);
          }
        }
        return;
      case "literal": {
        const cidrShaped = CIDR_SHAPE.test(value.text);
        if (cidrShaped && kind !== "ip") {
          throw this.fail(
            `\`in\` with a CIDR needs an address field (ip, xff), not \`${field.name}\``,
            value.offset,
            "for a text prefix use `^=`",
          );
        }
        if (cidrShaped) {
          this.checkAddress(value, true);
          return;
        }
        throw this.fail(
          "`in` takes a CIDR, a list `[a, b]` or a subquery `(QUERY | distinct FIELD)`",
          value.offset,
          kind === "ip" && value.form === "ip"
            ? `for one address write: ip = ${value.text}`
            : undefined,
        );
      }
      case "hash":
        throw this.fail(
          "`in` takes a CIDR, a list `[a, b]` or a subquery, not `hash()`",
          inToken.startOffset,
          'write: FIELD = hash("…")',
        );
    }
  }
}
