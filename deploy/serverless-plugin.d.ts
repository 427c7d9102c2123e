// Types of deploy/serverless-plugin.js for the TypeScript tests that drive its hooks.
export default class LandingEtlDeploy {
  constructor(serverless: unknown, options: unknown, utils: { log: unknown });
  hooks: Record<string, () => Promise<void>>;
}
