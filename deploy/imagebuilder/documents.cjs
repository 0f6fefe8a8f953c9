// The Image Builder component documents of this folder, as text, for serverless.yml:
//   Data: ${file(./deploy/imagebuilder/documents.cjs):prepullImages}
// A `${file(x.yaml)}` would hand CloudFormation the parsed YAML; the component's `Data` is the document's text.
const fs = require('node:fs');
const path = require('node:path');

const read = (name) => fs.readFileSync(path.join(__dirname, name), 'utf8');

module.exports = {
  prepullImages: () => read('prepull-images.yaml'),
};
