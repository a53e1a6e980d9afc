import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call } from '../support/rawApi.js';
import { runCli, startCli, type CliProcess } from '../support/cli.js';
import { startRabbitmqServer, type RabbitmqServer } from '../support/rabbitmqServer.js';

/**
 * `funcx-rx serve --amqp-url --amqp-management-url`: the AMQP result transport from the command
 * line, on a real rabbitmq-server, as Globus Compute's Executor needs it.
 */
describe('funcx-rx serve with RabbitMQ for results', () => {
  let rabbit: RabbitmqServer;
  let serve: CliProcess;

  before(async () => {
    rabbit = await startRabbitmqServer();
    serve = await startCli(['serve', '--json', '--workers', '1', '--log-level', 'warn', '--amqp-url', rabbit.url, '--amqp-management-url', rabbit.managementUrl]);
  });
  after(async () => {
    await serve?.stop();
    await rabbit?.stop();
  });

  it('answers GET /v2/get_amqp_result_connection_url with the user\'s own RabbitMQ credentials', async () => {
    const answer = await call(serve.info.url!, 'GET', '/v2/get_amqp_result_connection_url', { token: serve.info.token! });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const url = new URL(answer.body.connection_url as string);
    assert.equal(url.protocol, 'amqp:');
    assert.equal(url.port, new URL(rabbit.url).port);
    assert.notEqual(url.username, new URL(rabbit.url).username, 'a user of its own, not the service\'s');
    assert.ok(url.password.length >= 16);
    assert.match(answer.body.queue_prefix as string, /^funcx-rx\./);
  });

  it('refuses one of the two URLs without the other, with a clear message', async () => {
    await assert.rejects(runCli(['serve', '--json', '--amqp-url', rabbit.url]), /Expected both `--amqp-url` and `--amqp-management-url`/);
  });
});
