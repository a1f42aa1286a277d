// Types for pack-conformance.mjs (plain JavaScript so that every runtime runs it as it is).
export interface CheckResult {
  name: string;
  ok: boolean;
  error?: string;
  skipped?: string;
}
export const CHECK_NAMES: string[];
export function conformance(lib: unknown, opts?: { url?: string; only?: string[] }): Promise<CheckResult[]>;
