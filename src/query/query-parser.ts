// The query grammar as a Chevrotain CstParser: tokens in, a concrete syntax tree out. One class with
// rules as fields and one shared instance (`queryParser`): Chevrotain analyses the grammar once, at
// construction (~ms), and parsing then costs microseconds. The same instance feeds the railroad
// diagram and the CST types (grammar/generate-grammar.ts). This module only recognises shape; what
// the words mean (fields exist, CIDRs are valid, numbers are whole) is checked in to-ast.ts.
// Error messages come from queryErrorMessages (parse-errors.ts), never Chevrotain's raw dumps.
import { CstParser } from "chevrotain";
import {
  ALL_TOKENS,
  And,
  Asc,
  By,
  Comma,
  CompareOp,
  Count,
  Desc,
  Distinct,
  Exists,
  Fields,
  Hash,
  In,
  LBracket,
  Leases,
  Limit,
  LParen,
  Not,
  Or,
  Pair,
  Pipe,
  QuotedString,
  RBracket,
  RParen,
  Sort,
  Star,
  Timeline,
  Top,
  Word,
} from "./tokens.js";
import { queryErrorMessages } from "./parse-errors.js";

export class QueryParser extends CstParser {
  /**
   * `validate` checks the grammar itself (ambiguities, left recursion): the tests build a
   * validating parser; the shared instance skips it, which saves ~40% of a one-shot query's
   * parser start-up.
   */
  constructor(opts: { validate?: boolean } = {}) {
    super([...ALL_TOKENS], {
      errorMessageProvider: queryErrorMessages,
      maxLookahead: 3,
      skipValidations: !opts.validate,
    });
    this.performSelfAnalysis();
  }

  /** query := ( "*" | expr )? ( "|" stage )*   (but not empty: `*`, an expr, or a leading `|`). */
  readonly query = this.RULE("query", () => {
    this.OR({
      ERR_MSG: "a query",
      DEF: [
        {
          ALT: () => {
            this.CONSUME(Star);
            this.MANY(() => this.SUBRULE(this.pipeStage));
          },
        },
        {
          ALT: () => {
            this.SUBRULE(this.orExpr);
            this.MANY2(() => this.SUBRULE2(this.pipeStage));
          },
        },
        { ALT: () => this.AT_LEAST_ONE(() => this.SUBRULE3(this.pipeStage)) },
      ],
    });
  });

  readonly pipeStage = this.RULE("pipeStage", () => {
    this.CONSUME(Pipe);
    this.SUBRULE(this.stage);
  });

  /** expr := term ( "or" term )* */
  readonly orExpr = this.RULE("orExpr", () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  /** term := factor ( "and" factor )* */
  readonly andExpr = this.RULE("andExpr", () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(And);
      this.SUBRULE2(this.notExpr);
    });
  });

  /** factor := "not" factor | "(" expr ")" | predicate */
  readonly notExpr = this.RULE("notExpr", () => {
    this.OR({
      ERR_MSG: "a predicate",
      DEF: [
        {
          ALT: () => {
            this.CONSUME(Not);
            this.SUBRULE(this.notExpr);
          },
        },
        {
          ALT: () => {
            this.CONSUME(LParen);
            this.SUBRULE(this.orExpr);
            this.CONSUME(RParen);
          },
        },
        { ALT: () => this.SUBRULE(this.predicate) },
      ],
    });
  });

  /** predicate := "exists" field | field CompareOp value | field "in" inValue */
  readonly predicate = this.RULE("predicate", () => {
    this.OR({
      ERR_MSG: "a predicate",
      DEF: [
        {
          ALT: () => {
            this.CONSUME(Exists);
            this.SUBRULE(this.field);
          },
        },
        {
          ALT: () => {
            this.SUBRULE2(this.field);
            this.OR2({
              ERR_MSG: "an operator",
              DEF: [
                {
                  ALT: () => {
                    this.CONSUME(CompareOp);
                    this.SUBRULE(this.value);
                  },
                },
                {
                  ALT: () => {
                    this.CONSUME(In);
                    this.SUBRULE(this.inValue);
                  },
                },
              ],
            });
          },
        },
      ],
    });
  });

  /** field := WORD   (a catalog name or a dotted path; checked in to-ast.ts) */
  readonly field = this.RULE("field", () => {
    this.CONSUME(Word);
  });

  /** value := hashCall | QUOTED | WORD */
  readonly value = this.RULE("value", () => {
    this.OR({
      ERR_MSG: "a value",
      DEF: [
        { ALT: () => this.SUBRULE(this.hashCall) },
        { ALT: () => this.CONSUME(QuotedString) },
        { ALT: () => this.CONSUME(Word) },
      ],
    });
  });

  /** hashCall := "hash" "(" QUOTED ")" */
  readonly hashCall = this.RULE("hashCall", () => {
    this.CONSUME(Hash);
    this.CONSUME(LParen);
    this.CONSUME(QuotedString);
    this.CONSUME(RParen);
  });

  /** inValue := "(" query ")" | "[" value ( "," value )* "]" | value */
  readonly inValue = this.RULE("inValue", () => {
    this.OR({
      ERR_MSG: "a CIDR, a list or a subquery",
      DEF: [
        { ALT: () => this.SUBRULE(this.subquery) },
        { ALT: () => this.SUBRULE(this.list) },
        { ALT: () => this.SUBRULE(this.value) },
      ],
    });
  });

  readonly subquery = this.RULE("subquery", () => {
    this.CONSUME(LParen);
    this.SUBRULE(this.query);
    this.CONSUME(RParen);
  });

  readonly list = this.RULE("list", () => {
    this.CONSUME(LBracket);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.value) });
    this.CONSUME(RBracket);
  });

  /** stage := leases | distinct F | count [by F] | top [N] F | fields F, … | sort F [desc|asc] | limit N | timeline [INTERVAL] | pair */
  readonly stage = this.RULE("stage", () => {
    this.OR({
      ERR_MSG: "a stage",
      DEF: [
        { ALT: () => this.CONSUME(Leases) },
        {
          ALT: () => {
            this.CONSUME(Distinct);
            this.SUBRULE(this.field);
          },
        },
        {
          ALT: () => {
            this.CONSUME(Count);
            this.OPTION(() => {
              this.CONSUME(By);
              this.SUBRULE2(this.field);
            });
          },
        },
        {
          ALT: () => {
            this.CONSUME(Top);
            // `top 10 path` or `top path` (10): a number is never a field, so one token decides.
            this.OPTION2({
              GATE: () => this.LA(2).tokenType !== undefined && isWordLike(this.LA(2).tokenType),
              DEF: () => this.CONSUME2(Word, { LABEL: "n" }),
            });
            this.SUBRULE3(this.field);
          },
        },
        {
          ALT: () => {
            this.CONSUME(Fields);
            this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.SUBRULE4(this.field) });
          },
        },
        {
          ALT: () => {
            this.CONSUME(Sort);
            this.SUBRULE5(this.field);
            this.OPTION3(() =>
              this.OR2([{ ALT: () => this.CONSUME(Desc) }, { ALT: () => this.CONSUME(Asc) }]),
            );
          },
        },
        {
          ALT: () => {
            this.CONSUME(Limit);
            this.CONSUME3(Word, { LABEL: "n" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(Timeline);
            this.OPTION4(() => this.CONSUME4(Word, { LABEL: "interval" }));
          },
        },
        { ALT: () => this.CONSUME(Pair) },
      ],
    });
  });
}

function isWordLike(t: import("chevrotain").TokenType): boolean {
  return t === Word || (t.CATEGORIES?.includes(Word) ?? false);
}

/** The one shared parser: Chevrotain parsers are reusable (set `input`, call a rule). */
export const queryParser = new QueryParser();
