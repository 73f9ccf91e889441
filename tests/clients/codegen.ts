// graphql-codegen: typed documents and result types for the operations in
// operations/, from the committed schema. `npm run codegen` writes
// generated/ (git-ignored); `npm run typecheck` then runs tsc over client.ts.
// A document that does not validate against schema.graphql fails the run.
//
// Since typescript-operations 6, that plugin emits the input and enum types
// its operations use; sharing one file with the `typescript` plugin would
// declare them twice (TS2300). So the `typescript` plugin writes every schema
// type to generated/schema.ts, and generated/graphql.ts (operation types and
// typed documents) imports its input and enum types from there.
import type { CodegenConfig } from '@graphql-codegen/cli';

const scalars = {
  // DateTime is an RFC 3339 string on the wire.
  DateTime: 'string',
  // An Upload is the file itself, sent as a multipart part (a browser's
  // File or Blob); in the JSON variables it is null.
  Upload: 'Blob',
};

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['operations/*.graphql'],
  overwrite: true,
  generates: {
    'generated/schema.ts': {
      plugins: ['typescript'],
      config: { scalars, strictScalars: true, enumsAsTypes: true, useTypeImports: true },
    },
    'generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        scalars,
        strictScalars: true,
        useTypeImports: true,
        importSchemaTypesFrom: 'generated/schema.ts',
        namespacedImportName: 'Schema',
      },
    },
  },
};

export default config;
