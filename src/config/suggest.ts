// "did you mean" for misspelled keys, types and ids.

/** Levenshtein edit distance (insertions, deletions, substitutions), two-row dynamic program. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

/** The closest candidate, if it is close enough to be a plausible typo (case-insensitive). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(Math.max(word.length, 3) / 3));
  return best !== word && bestDistance <= limit ? best : undefined;
}

/** ` (allowed: a, b, c; did you mean "b"?)` — the parenthesised tail of an error message. */
export function hint(label: string, word: string | undefined, allowed: readonly string[]): string {
  const list = allowed.length === 0 ? 'none' : allowed.join(', ');
  const guess = word === undefined ? undefined : closest(word, allowed);
  return ` (${label}: ${list}${guess === undefined ? '' : `; did you mean "${guess}"?`})`;
}
