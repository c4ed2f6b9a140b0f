'use strict';
// vitrine's output formats, reproduced byte for byte.
const { GraphQLFloat } = require('graphql');

/** `encode_id`: base64url (no padding) of `Kind:42`. */
function encodeId(kind, id) {
  return Buffer.from(`${kind}:${id}`).toString('base64url');
}

/** `decode_id`: the row id a global id of `kind` names, or null. */
function decodeId(kind, id) {
  if (!/^[A-Za-z0-9_-]*$/.test(id)) return null;
  const text = Buffer.from(id, 'base64url').toString('utf8');
  const at = text.indexOf(':');
  if (at < 0 || text.slice(0, at) !== kind) return null;
  const number = text.slice(at + 1);
  if (!/^\+?\d+$/.test(number)) return null;
  const n = Number(number);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** serde_json's text of an f64 (a whole number keeps `.0`). */
function f64(v) {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/** `encode_cursor`: base64url of `c1:` and the key's JSON. */
function cursor(json) {
  return Buffer.from(`c1:${json}`).toString('base64url');
}

/** The cursor of a product in the NEWEST order (`ProductCursor`). */
function newestCursor(p) {
  return cursor(`{"sort":"Newest","value":${f64(p.id)},"id":${p.id}}`);
}

/** The cursor of a row of a child list (its id). */
function idCursor(row) {
  return cursor(String(row.id));
}

const STORED = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?$/;

/** A stored `DateTime<Utc>` as async-graphql writes it: chrono's
 * `to_rfc3339()` (fraction in 0, 3, 6 or 9 digits, `+00:00`). */
function dateTime(text) {
  const m = STORED.exec(text);
  if (m === null) throw new Error(`unreadable DateTime ${JSON.stringify(text)}`);
  let [, day, time, fraction = '', offset] = m;
  if (offset !== undefined && offset !== 'Z' && offset !== '+00:00' && offset !== '-00:00') {
    const utc = new Date(`${day}T${time}${offset}`).toISOString();
    day = utc.slice(0, 10);
    time = utc.slice(11, 19);
  }
  const nanos = fraction.padEnd(9, '0');
  let shown;
  if (nanos === '000000000') shown = '';
  else if (nanos.endsWith('000000')) shown = `.${nanos.slice(0, 3)}`;
  else if (nanos.endsWith('000')) shown = `.${nanos.slice(0, 6)}`;
  else shown = `.${nanos}`;
  return `${day}T${time}${shown}+00:00`;
}

/** `json_list`: a JSON array column; anything malformed (or an element of
 * the wrong type) reads as an empty list. */
function jsonList(raw, isItem) {
  let value;
  try {
    value = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(value) || !value.every(isItem)) return [];
  return value;
}

const isString = (v) => typeof v === 'string';
const isFiber = (v) =>
  v !== null &&
  typeof v === 'object' &&
  typeof v.fiber === 'string' &&
  Number.isInteger(v.percent) &&
  v.percent >= -2147483648 &&
  v.percent <= 2147483647;

// GraphQL Floats: serde_json writes a whole f64 as `4.0`, JSON.stringify as
// `4`. A whole Float leaves execution as a marked string that
// `stringifyResult` turns back into a number with `.0`.
const WHOLE = '\u0000f64:';
const WHOLE_IN_JSON = /"\\u0000f64:(-?\d+)"/g;
const serializeFloat = GraphQLFloat.serialize;
GraphQLFloat.serialize = (value) => {
  const n = serializeFloat.call(GraphQLFloat, value);
  return Number.isInteger(n) ? `${WHOLE}${n}` : n;
};

/** The response body, numbers written as serde_json writes them. */
function stringifyResult(result) {
  const text = JSON.stringify(result);
  return text.includes('\\u0000f64:') ? text.replace(WHOLE_IN_JSON, '$1.0') : text;
}

module.exports = {
  encodeId,
  decodeId,
  newestCursor,
  idCursor,
  dateTime,
  jsonList,
  isString,
  isFiber,
  stringifyResult,
};
