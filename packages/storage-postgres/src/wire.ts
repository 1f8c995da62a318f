/**
 * Parameters and results as PostgreSQL's text forms, built and read by hand.
 *
 * Why: `pg` turns a JS array parameter into an array literal element by element (a type check, a
 * `prepareValue` and an escape per element, then joins), and decodes a row of a dozen columns
 * through a type parser per column and a property per column. The store's statements took up to
 * seventeen arrays (now seven: the numbers travel as rows of one array) and returned up to twelve
 * columns, which made the store plus the driver cost about as much client CPU per send + verify
 * pair as otpkit's core. The same text, built here in
 * one pass, is what PostgreSQL receives either way (the statements cast every parameter), so
 * nothing changes on the server; and a result of one text column (an array literal) is one
 * string the driver passes through untouched, read below with a split when nothing is quoted.
 * Every driver the store takes (`pg`, Neon's, Vercel's) passes a string parameter as it is.
 */

const needsEscape = /["\\]/;
const escapes = /["\\]/g;

/** A `text[]` literal: every element quoted (a key may hold any character), `null` as NULL. */
export function textArray(values: readonly (string | null | undefined)[]): string {
  let literal = "{";
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i) literal += ",";
    if (value === null || value === undefined) literal += "NULL";
    else literal += `"${needsEscape.test(value) ? value.replace(escapes, "\\$&") : value}"`;
  }
  return `${literal}}`;
}

/**
 * A literal of an array of numbers (`int[]`, `bigint[]`, `float8[]`): `String(n)` per element,
 * the same text `pg` would send.
 */
export function numberArray(values: readonly number[]): string {
  return `{${values.join(",")}}`;
}

/**
 * The elements of a one-dimensional `text[]` literal as PostgreSQL prints it (`array_out`): an
 * element is double-quoted when it is empty, NULL-like or holds a delimiter, brace, quote,
 * backslash or white space, with `"` and `\` backslash-escaped inside the quotes; an unquoted
 * `NULL` is null.
 */
export function parseTextArray(literal: string): Array<string | null> {
  const end = literal.length - 1; // the closing brace
  // The common case: nothing quoted (the store's own values: numbers, flags, base64url text).
  if (literal.indexOf('"') < 0) {
    if (end <= 1) return [];
    return literal
      .slice(1, end)
      .split(",")
      .map((value) => (value === "NULL" ? null : value));
  }
  const out: Array<string | null> = [];
  let i = 1;
  for (;;) {
    if (literal.charCodeAt(i) === 34 /* " */) {
      let value = "";
      let from = ++i;
      for (;;) {
        const c = literal.charCodeAt(i);
        if (c === 92 /* \ */) {
          // The escaped character starts the next slice.
          value += literal.slice(from, i);
          from = ++i;
          i++;
        } else if (c === 34) {
          value += literal.slice(from, i);
          i++;
          break;
        } else i++;
      }
      out.push(value);
    } else {
      let stop = literal.indexOf(",", i);
      if (stop < 0 || stop > end) stop = end;
      const value = literal.slice(i, stop);
      out.push(value === "NULL" ? null : value);
      i = stop;
    }
    if (i >= end) return out;
    i++; // the delimiter
  }
}
