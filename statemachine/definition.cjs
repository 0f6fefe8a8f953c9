// The rollout definition (rollout.asl.json) names each Lambda as "${<Name>FunctionArn}", the
// CloudFormation DefinitionSubstitutions convention. This module resolves those placeholders for
// each consumer: serverless.yml (Fn::GetAtt of the packaged function), the simulator and the tests
// (a local ARN that they map to the real handler).
const fs = require('node:fs');
const path = require('node:path');

const definitionPath = path.join(__dirname, 'rollout.asl.json');
const placeholder = /^\$\{([A-Z][A-Za-z0-9]*)FunctionArn\}$/;

/** `ValidateInput` -> `validateInput`, the function's key in serverless.yml. */
const functionKey = (name) => name.charAt(0).toLowerCase() + name.slice(1);

function resolveResources(node, resolve) {
  if (Array.isArray(node)) return node.map((item) => resolveResources(item, resolve));
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    // A Task names its Lambda in Resource, or in Parameters.FunctionName for an integration such as
    // lambda:invoke.waitForTaskToken.
    const named = key === 'Resource' || key === 'FunctionName';
    const match = named && typeof value === 'string' ? placeholder.exec(value) : null;
    out[key] = match ? resolve(functionKey(match[1])) : resolveResources(value, resolve);
  }
  return out;
}

/** The definition (of `file`, by default the rollout's) with every Lambda placeholder replaced by `resolve(functionKey)`. */
function loadDefinition(resolve, file = definitionPath) {
  return resolveResources(JSON.parse(fs.readFileSync(file, 'utf8')), resolve);
}

/** The local ARN the simulator and tests use for a function key. */
const localFunctionArn = (key) => `arn:aws:lambda:us-east-1:111122223333:function:eks-windows-patcher-${key}`;

/** The function key behind a local ARN. */
const functionKeyOfArn = (arn) => arn.slice(arn.lastIndexOf('-') + 1);

/** serverless.yml's reference to a packaged function. */
const byGetAtt = (key) => ({
  'Fn::GetAtt': [`${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaFunction`, 'Arn'],
});

module.exports = {
  definitionPath,
  loadDefinition,
  localFunctionArn,
  functionKeyOfArn,
  // serverless.yml: ${file(./statemachine/definition.cjs):serverless}
  serverless: () => loadDefinition(byGetAtt),
  // serverless.yml: ${file(./statemachine/definition.cjs):promotion}, the waves' workflow
  promotion: () => loadDefinition(byGetAtt, path.join(__dirname, 'promotion.asl.json')),
};
