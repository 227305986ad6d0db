/**
 * Published cloud figures the report prints beside thaw's own: facts copied from
 * maxday/lambda-perf's daily data as summarised in shared/research/benchmarks.md §1, not code and
 * not measured here. Update them (with the period) when that summary is refreshed.
 */
import type { Language } from "../bench/war/war-results.js";

/** One runtime's Init Duration on AWS Lambda, zip packages, memory sizes pooled. */
export interface CloudColdStart {
  readonly language: Language;
  /** The Lambda runtime as lambda-perf names it, e.g. `provided.al2023`, `java21`. */
  readonly runtime: string;
  readonly arm64P50Ms: number;
  readonly arm64P90Ms: number;
  readonly x86P50Ms: number;
  readonly x86P90Ms: number;
  /** Mean Max Memory Used, MB. */
  readonly maxMemoryUsedMB: number;
}

/** SnapStart's Restore Duration against a plain init, as lambda-perf last published it. */
export interface CloudSnapStart {
  readonly runtime: string;
  readonly plainInitP50Ms: number;
  readonly restoreP50Ms: number;
}

/** Where the figures come from and which days they cover. */
export interface CloudReference {
  readonly source: string;
  readonly method: string;
  readonly period: string;
  readonly coldStarts: readonly CloudColdStart[];
  readonly snapStartSource: string;
  readonly snapStartPeriod: string;
  readonly snapStart: readonly CloudSnapStart[];
}

/** lambda-perf's hello-world Init Duration (p50/p90) per runtime, and its last SnapStart figures. */
export const LAMBDA_PERF: CloudReference = {
  source:
    "maxday/lambda-perf daily data (data/2026-0{7,8}-*.json), summarised in shared/research/benchmarks.md",
  method:
    "hello-world handler, zip, Init Duration from REPORT, 10 forced cold starts per function per day, 128–1024 MB pooled (~1,150 per cell)",
  period: "2026-07-24 to 2026-08-22",
  coldStarts: [
    {
      language: "rust",
      runtime: "provided.al2023",
      arm64P50Ms: 13.8,
      arm64P90Ms: 15.5,
      x86P50Ms: 15.8,
      x86P90Ms: 20.0,
      maxMemoryUsedMB: 15,
    },
    {
      language: "c",
      runtime: "provided.al2 (c++)",
      arm64P50Ms: 16.8,
      arm64P90Ms: 28.4,
      x86P50Ms: 15.5,
      x86P90Ms: 28.1,
      maxMemoryUsedMB: 15,
    },
    {
      language: "go",
      runtime: "provided.al2023",
      arm64P50Ms: 42.8,
      arm64P90Ms: 44.3,
      x86P50Ms: 49.8,
      x86P90Ms: 52.5,
      maxMemoryUsedMB: 17,
    },
    {
      language: "python",
      runtime: "python3.12",
      arm64P50Ms: 81.0,
      arm64P90Ms: 86.8,
      x86P50Ms: 84.1,
      x86P90Ms: 98.7,
      maxMemoryUsedMB: 36,
    },
    {
      language: "nodejs",
      runtime: "nodejs20.x",
      arm64P50Ms: 131.3,
      arm64P90Ms: 140,
      x86P50Ms: 141.5,
      x86P90Ms: 159,
      maxMemoryUsedMB: 67,
    },
    {
      language: "java",
      runtime: "java17",
      arm64P50Ms: 218.0,
      arm64P90Ms: 233,
      x86P50Ms: 204.8,
      x86P90Ms: 229,
      maxMemoryUsedMB: 86,
    },
  ],
  snapStartSource:
    "maxday/lambda-perf (data/2025/2025-09-*.json, 2025-10-*.json), x86_64 zip, n = 480 per cell; SnapStart removed from lambda-perf on 2025-10-18",
  snapStartPeriod: "2025-09-18 to 2025-10-18",
  snapStart: [
    { runtime: "java11", plainInitP50Ms: 286, restoreP50Ms: 662 },
    { runtime: "java17", plainInitP50Ms: 212, restoreP50Ms: 697 },
    { runtime: "java21", plainInitP50Ms: 273, restoreP50Ms: 808 },
  ],
};
