// Boots @loopback/example-todo on its memory datasource without file persistence, on
// 127.0.0.1:$PORT, as LoopBack's own benchmark does (benchmark/src/worker.ts).
// Run from a directory where `npm install @loopback/example-todo@6.0.0` was done.
'use strict';
const {TodoListApplication} = require('@loopback/example-todo');

async function main() {
  const app = new TodoListApplication({
    rest: {host: '127.0.0.1', port: +(process.env.PORT || 3000)},
  });
  app.bind('datasources.config.db').to({name: 'db', connector: 'memory'});
  await app.boot();
  await app.start();
  console.log(`LoopBack is running at ${app.restServer.url}`);
  const stop = async () => {
    await app.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch(err => {
  console.error('Cannot start LoopBack:', err);
  process.exit(1);
});
