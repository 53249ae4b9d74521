import { Construct } from "constructs";
import { ValidationError } from "./errors";

/** The arguments of a constructor that takes `(scope, id, props)` or the deprecated `(path, props)`. */
export interface ConstructArgs<P> {
  /** The scope, or undefined for the deprecated path form (the construct is then a root of its own). */
  readonly scope?: Construct;
  /** The construct id; "" for the deprecated path form. */
  readonly id: string;
  /** The props. */
  readonly props: P;
  /** The path given in the deprecated form, named in error messages instead of a construct path. */
  readonly legacyPath?: string;
}

/**
 * Sorts out the arguments of a construct that also accepts the deprecated `(path, props)` form of
 * the plain class it used to be. Plain-JavaScript callers get a clear error for anything else.
 *
 * @param what the class name, for the error
 * @throws ValidationError when the first argument is neither a construct nor a path string, or the id is not a non-empty string
 */
export function constructArgs<P>(what: string, first: unknown, second: unknown, third: unknown, defaults: P): ConstructArgs<P> {
  if (typeof first === "string") return { id: "", props: (second as P | undefined) ?? defaults, legacyPath: first };
  if (!Construct.isConstruct(first)) {
    // Thrown, not collected: nothing can be built without a scope.
    throw new ValidationError({
      path: what,
      subject: "scope",
      value: first,
      rule: `${what} takes (scope, id, props) like every construct of the library`,
      fix: `pass the stack or construct it belongs to and an id: new ${what}(this, "id", props)`,
    });
  }
  const scope = first;
  if (typeof second !== "string" || second === "") {
    throw new ValidationError({
      path: `${scope.node.path}/${what}`,
      subject: "construct id",
      value: second,
      rule: "a construct id is a non-empty string, unique among its siblings",
      fix: `new ${what}(scope, "id", props)`,
    });
  }
  return { scope, id: second, props: (third as P | undefined) ?? defaults };
}
