/** The commands the service tells people to run, composed in this one place for every surface (alerts, the CLI,
 *  the operator page, the run log). `target` is what reaches the stage the ingestion ran in: `--stage dev --region
 *  eu-west-1` for a deployed stage, empty for the local stack. */
export const retryCommand = (ingestionId: string, target: string) => `npx landing-etl retry ${ingestionId}${target ? ` ${target}` : ''}`;
