// autocannon ships no type declarations; this is the part of its API the benchmark uses.
declare module 'autocannon' {
  interface Histogram {
    average: number;
    mean: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
  }
  interface Options {
    url: string;
    /** Sent with every request. */
    headers?: Record<string, string>;
    connections: number;
    duration: number;
    requests?: Array<{ method?: string; setupRequest?: (request: { path: string }) => { path: string } }>;
  }
  interface Result {
    requests: Histogram & { total: number };
    latency: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
    duration: number;
  }
  export default function autocannon(options: Options): Promise<Result>;
}
