import { constructRows } from "./construct-rows";
import { expectRow } from "./matrix";

describe("bad-input matrix: constructs", () => {
  test.each(constructRows.map((row) => [row.name, row] as const))("%s", (_name, row) => expectRow(row));
});
