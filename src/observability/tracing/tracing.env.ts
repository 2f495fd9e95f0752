/**
 * Whether this process traces, decided once from the standard OpenTelemetry variables and
 * nothing else: an OTLP endpoint must be set (`OTEL_EXPORTER_OTLP_ENDPOINT` or the traces-only
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), `OTEL_SDK_DISABLED` must not be `true`, and
 * `OTEL_TRACES_EXPORTER` must not be `none`. No import here: main.ts asks this before anything loads.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return false;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim());
  return !exporters.includes('none');
}
