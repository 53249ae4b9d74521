import { type RuleViolation } from "../rule";
import { type StackElement } from "../stack-model";

/** One violation per element that has problems, its problems joined with "; ". */
export function violationsOf(elements: readonly StackElement[], problemsOf: (element: StackElement) => readonly string[]): RuleViolation[] {
  return elements.flatMap((element) => {
    const problems = problemsOf(element);
    return problems.length > 0 ? [{ element, detail: problems.join("; ") }] : [];
  });
}
