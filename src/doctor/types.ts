/** One thing `agcp doctor` looked at, and what to do when it is not right. */
export type FindingStatus = "ok" | "warn" | "fail";

export interface Finding {
  /** Which check: config, oauth, identity, account, state, port, clock, proxy. */
  check: string;
  /** What it is about within the check (an account label, a proxy), when there are several. */
  subject?: string;
  status: FindingStatus;
  message: string;
  /** Set whenever status is not ok: the command or edit that fixes it. */
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  findings: Finding[];
}

export function report(findings: Finding[]): DoctorReport {
  return { ok: findings.every((f) => f.status !== "fail"), findings };
}
