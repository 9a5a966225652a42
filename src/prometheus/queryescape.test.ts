import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queryEscape, queryUnescape } from './queryescape.js';

describe('queryEscape', () => {
  it("escapes as Go's url.QueryEscape", () => {
    assert.equal(queryEscape('abc-XYZ_0.9~'), 'abc-XYZ_0.9~');
    assert.equal(queryEscape("a b/c?d&e=f!'()*+%"), 'a+b%2Fc%3Fd%26e%3Df%21%27%28%29%2A%2B%25');
    assert.equal(queryEscape('é☃😀'), '%C3%A9%E2%98%83%F0%9F%98%80');
    assert.equal(queryEscape(''), '');
  });

  it('never throws on a lone surrogate: it is escaped as the replacement character', () => {
    assert.equal(queryEscape('job\uD800'), 'job%EF%BF%BD');
    assert.equal(queryEscape('\uDC00x'), '%EF%BF%BDx');
    assert.equal(queryEscape('a\uDBFF\uDBFFb'), 'a%EF%BF%BD%EF%BF%BDb');
    // A valid pair stays one code point.
    assert.equal(queryEscape('\uD83D\uDE00'), '%F0%9F%98%80');
    assert.equal(queryUnescape(queryEscape('job\uD800')), 'job\uFFFD');
  });

  it('round-trips through queryUnescape', () => {
    for (const s of ['plain', 'with space', 'a+b', '100%', 'ünï/cødé?&='])
      assert.equal(queryUnescape(queryEscape(s)), s);
  });
});
