import { check } from "./errors";
import { isUnresolved } from "./tokens";

/**
 * Retention periods CloudWatch Logs accepts, in days (the `retentionInDays`
 * values of `PutRetentionPolicy`, CloudWatch Logs API reference).
 */
export const LOG_RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/**
 * Checks a log group's retention in days (tokens pass).
 * @throws ValidationError naming `path`, when `days` is not one of {@link LOG_RETENTION_DAYS}
 */
export function validateLogRetention(path: string, subject: string, days: number): void {
  if (isUnresolved(days)) return;
  check(LOG_RETENTION_DAYS.includes(days), {
    path,
    subject,
    value: days,
    rule: `one of CloudWatch Logs' retention periods: ${LOG_RETENTION_DAYS.join(", ")} days`,
    fix: "use e.g. 30",
  });
}
