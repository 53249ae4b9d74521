import { recall, remember } from "../../lib/core/memo";

describe("bounded memos", () => {
  test("remember drops the oldest entry when the map is full, and not when a key is replaced", () => {
    const map = new Map<string, number>();
    remember(map, "a", 1, 2);
    remember(map, "b", 2, 2);
    remember(map, "b", 3, 2);
    expect([...map]).toEqual([["a", 1], ["b", 3]]);
    remember(map, "c", 4, 2);
    expect([...map]).toEqual([["b", 3], ["c", 4]]);
  });

  test("recall computes once per key, also for the answers false and undefined", () => {
    const map = new Map<string, boolean | undefined>();
    let calls = 0;
    const ask = (key: string, answer: boolean | undefined) => recall(map, key, () => (calls++, answer));
    expect(ask("no", false)).toBe(false);
    expect(ask("no", true)).toBe(false);
    expect(ask("none", undefined)).toBeUndefined();
    expect(ask("none", true)).toBeUndefined();
    expect(calls).toBe(2);
  });
});
