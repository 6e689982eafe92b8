'use strict';
// The baseline of the intake benchmark: a bare Apollo Server 5 answering
// `{ __typename }`, served through the SAME Node HTTP integration as the gateway.
const { createServer } = require('node:http');
const { ApolloServer } = require('@apollo/server');
const { serveApolloRequest } = require('../dist/http/apollo-integration');

async function main() {
  const apollo = new ApolloServer({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } }, nodeEnv: 'production', stopOnTerminationSignals: false });
  await apollo.start();
  const server = createServer((req, res) => {
    serveApolloRequest(apollo, req, res, { search: new URL(req.url, 'http://x').search, maxBodyBytes: 2 * 1024 * 1024, context: async () => ({}) }).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  server.keepAliveTimeout = 10_000;
  server.listen(Number(process.env.PORT), () => process.stdout.write(`ready ${server.address().port}\n`));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
main();
