/** CloudWatch metrics as embedded metric format (EMF) log lines: CloudWatch Logs extracts them from the function's
 *  log group, so publishing needs no API call, no IAM grant beyond the logs every function writes, and no client in
 *  the bundle (CloudWatch User Guide, "Specification: Embedded metric format"). One line per instant: `Timestamp`
 *  is when the values were true (a run's end), which CloudWatch accepts up to two weeks back. */
export function emfLine(namespace: string, dimensions: Record<string, string>, at: Date, values: Record<string, number>): string {
  return JSON.stringify({
    _aws: {
      Timestamp: at.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [Object.keys(dimensions)],
          Metrics: Object.keys(values).map((name) => ({ Name: name, Unit: name.startsWith('Minutes') ? 'None' : 'Count' })),
        },
      ],
    },
    ...dimensions,
    ...values,
  });
}
