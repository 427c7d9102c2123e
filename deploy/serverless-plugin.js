// Local Serverless plugin for landing-etl:
// - `${fileText:PATH}` is a file's text as it is (the file source parses JSON and drops its nulls, which in ASL
//   mean "discard the result": `"ResultPath": null` must reach Step Functions);
// - `${glueArtifacts:hash|prefix|pythonModules}` builds the Glue artifacts (deploy/glue-artifacts.js) while the
//   configuration is resolved, so the template names them by content hash;
// - `${checkedParams:}` checks the stage's parameters while serverless.yml is resolved, before anything is validated
//   or built, and fails with the name of every missing or invalid one;
// - on deploy, uploads the artifacts to the deployment bucket under glue/<hash>/ before the stack is updated.
import { HeadObjectCommand, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildGlueArtifacts } from './glue-artifacts.js';
import { CHECKED_PARAMS, checkedValues, paramProblems } from './params.js';

export default class LandingEtlDeploy {
  constructor(serverless, _options, { log }) {
    this.serverless = serverless;
    this.log = log;
    this.provider = serverless.getProvider('aws');
    let artifacts;
    const built = () => (artifacts ??= buildGlueArtifacts(serverless.serviceDir));
    this.configurationVariablesSources = {
      checkedParams: {
        resolve: async ({ resolveVariable }) => {
          const params = {};
          for (const name of CHECKED_PARAMS) params[name] = await resolveVariable(`param:${name}`);
          const problems = paramProblems(params);
          // Only what builds or deploys the stack needs them: `sls remove` and `sls info` need the stage alone.
          const checked = ['package', 'deploy'].includes(serverless.processedInput?.commands?.[0]);
          if (!problems.length || !checked) return { value: checkedValues(params) };
          const stage = await resolveVariable('sls:stage');
          throw new serverless.classes.Error(
            `Stage "${stage}" cannot be packaged: ${problems.join('; ')}. Pass them as --param="NAME=VALUE" or set ` +
              `them under params.${stage} in serverless.yml (README: Deployment).`,
          );
        },
      },
      fileText: {
        resolve: ({ address }) => ({ value: readFileSync(join(serverless.serviceDir, address), 'utf8') }),
      },
      glueArtifacts: {
        resolve: ({ address }) => {
          const { hash, files } = built();
          const prefix = `glue/${hash}`;
          const values = {
            hash,
            prefix,
            // Consumed inside Fn::Sub, which fills in the deployment bucket.
            pythonModules: files
              .filter((f) => f.startsWith('wheels/'))
              .map((f) => `s3://\${ServerlessDeploymentBucket}/${prefix}/${f}`)
              .join(','),
          };
          if (!(address in values)) throw new Error(`glueArtifacts:${address} is not one of ${Object.keys(values).join(', ')}`);
          return { value: values[address] };
        },
      },
    };
    this.hooks = {
      'after:aws:deploy:deploy:uploadArtifacts': () => this.uploadGlueArtifacts(built()),
    };
  }

  async uploadGlueArtifacts({ hash, dir, files }) {
    if (this.serverless.service.provider.shouldNotDeploy) return;
    const s3 = new S3Client(await this.provider.getAwsSdkV3Config());
    const bucket = await this.provider.getServerlessDeploymentBucketName();
    let uploaded = 0;
    for (const file of files) {
      const key = `glue/${hash}/${file}`;
      // Keys are content-addressed: an object that exists already holds exactly these bytes.
      const exists = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
        () => true,
        (e) => (e instanceof NotFound ? false : Promise.reject(e)),
      );
      if (exists) continue;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(join(dir, file)) }));
      uploaded += 1;
    }
    this.log.notice(`Glue artifacts: ${uploaded} of ${files.length} files uploaded to s3://${bucket}/glue/${hash}/`);
  }
}
