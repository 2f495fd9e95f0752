import type { V1Job } from '@kubernetes/client-node';

export type JobState = 'pending' | 'running' | 'succeeded' | 'failed';

export interface JobView {
  name: string;
  namespace: string;
  jobId?: string;
  /** Id of the API key that created the job (label/annotation platform-api/owner). */
  owner: string | null;
  state: JobState;
  active: number;
  succeeded: number;
  failed: number;
  startTime: string | null;
  completionTime: string | null;
  conditions: { type: string; status: string; reason?: string; message?: string }[];
}

const iso = (d: unknown): string | null =>
  d instanceof Date ? d.toISOString() : typeof d === 'string' ? d : null;

/** Terminal conditions decide; otherwise an active pod means running. */
export function jobState(job: V1Job): JobState {
  const s = job.status ?? {};
  const isTrue = (type: string) =>
    (s.conditions ?? []).some((c) => c.type === type && c.status === 'True');
  if (isTrue('Failed')) return 'failed';
  if (isTrue('Complete') || isTrue('SuccessCriteriaMet')) return 'succeeded';
  if ((s.active ?? 0) > 0 || (s.ready ?? 0) > 0) return 'running';
  return 'pending';
}

export function toJobView(job: V1Job): JobView {
  const s = job.status ?? {};
  return {
    name: job.metadata?.name ?? '',
    namespace: job.metadata?.namespace ?? '',
    jobId: job.metadata?.labels?.['platform-api/job-id'],
    owner:
      job.metadata?.annotations?.['platform-api/owner'] ??
      job.metadata?.labels?.['platform-api/owner'] ??
      null,
    state: jobState(job),
    active: s.active ?? 0,
    succeeded: s.succeeded ?? 0,
    failed: s.failed ?? 0,
    startTime: iso(s.startTime),
    completionTime: iso(s.completionTime),
    conditions: (s.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status,
      reason: c.reason,
      message: c.message,
    })),
  };
}
