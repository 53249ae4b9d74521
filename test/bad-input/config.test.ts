import { configRows } from "./config-rows";
import { expectRow } from "./matrix";

describe("bad-input matrix: the configuration (validateConfig)", () => {
  test.each(configRows.map((row) => [row.name, row] as const))("%s", (_name, row) => expectRow(row));
});
