/**
 * Bounded memos for pure answers that a synth asks again and again (compiled patterns, language
 * checks, action expansions): a `Map` that drops its oldest entry when full, so a long-running
 * process (a watch, a test run) does not grow without bound.
 */

/** Entries a memo keeps unless its owner says otherwise. */
export const MAX_REMEMBERED = 2048;

/**
 * Adds an entry to a bounded map, dropping its oldest entry when full.
 * @param max the most entries the map keeps
 * @returns `value`
 */
export function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number = MAX_REMEMBERED): V {
  if (!map.has(key) && map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
  return value;
}

/**
 * The value `map` remembers for `key`, or `compute()` remembered with {@link remember} (so a
 * remembered `undefined` or `false` is an answer too).
 * @param max the most entries the map keeps
 */
export function recall<K, V>(map: Map<K, V>, key: K, compute: () => V, max: number = MAX_REMEMBERED): V {
  return map.has(key) ? (map.get(key) as V) : remember(map, key, compute(), max);
}
