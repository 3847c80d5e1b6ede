// One suite, two buses: the in-process bus and JetStream (a real nats-server cluster: .ci/run's
// TEST_NATS_URL, or one started here). Every stream name is unique to the test.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { JetStreamBus, MemoryBus, decodeJson, encodeJson, type Bus, type BusMessage } from '../../src/bus/index.ts';
import { testNats } from '../nats-cluster.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uniq = () => `t${process.pid}_${randomBytes(4).toString('hex')}`.toUpperCase();

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function suite(name: string, open: () => Promise<Bus | undefined>, replicas: number) {
  describe(`bus: ${name}`, () => {
    let bus: Bus | undefined;
    let bus2: Bus | undefined;
    const streams: string[] = [];
    before(async () => { bus = await open(); bus2 = bus?.kind === 'memory' ? bus : await open(); });
    after(async () => {
      for (const s of streams) await bus?.deleteStream(s);
      if (bus2 !== bus) await bus2?.close();
      await bus?.close();
    });
    const stream = async (retention: 'limits' | 'workqueue' = 'limits') => {
      const id = uniq();
      streams.push(id);
      await bus!.ensureStream({ name: id, subjects: [`${id}.>`], retention, replicas });
      return id;
    };

    test('publish stores and a durable consumer gets every message in order, once acknowledged', async (t) => {
      if (!bus) return t.skip('no nats-server: install it (apt-get install nats-server) or set TEST_NATS_URL');
      const s = await stream();
      for (let i = 0; i < 50; i++) {
        const ack = await bus.publish(`${s}.a`, encodeJson({ i }));
        assert.equal(ack.seq, i + 1);
      }
      const got: number[] = [];
      const sub = await bus.consume({ stream: s, durable: 'd1', batch: 7 }, async (msgs) => {
        assert.ok(msgs.length <= 7);
        for (const m of msgs) { got.push(decodeJson<{ i: number }>(m.data).i); await m.ack(); }
      });
      await waitFor(() => got.length === 50, '50 messages');
      await sub.stop();
      assert.deepEqual(got, [...Array(50).keys()]);
      // a durable remembers its position: nothing is delivered again
      const again: number[] = [];
      const sub2 = await bus.consume({ stream: s, durable: 'd1' }, async (msgs) => { for (const m of msgs) { again.push(m.seq); await m.ack(); } });
      await bus.publish(`${s}.a`, encodeJson({ i: 50 }));
      await waitFor(() => again.length === 1, 'the new message');
      await sub2.stop();
      assert.deepEqual(again, [51]);
      assert.equal(await bus.streamMessages(s), 51, 'limits retention keeps acknowledged messages');
    });

    test('a message not acknowledged is redelivered after ack-wait, and a nak redelivers at once', async (t) => {
      if (!bus) return t.skip('no nats-server');
      const s = await stream();
      await bus.publish(`${s}.x`, encodeJson({ n: 1 }));
      await bus.publish(`${s}.x`, encodeJson({ n: 2 }));
      const deliveries: { seq: number; count: number }[] = [];
      const sub = await bus.consume({ stream: s, durable: 'r', ackWaitMs: 1000, batch: 1 }, async ([m]) => {
        deliveries.push({ seq: m!.seq, count: m!.deliveryCount });
        if (m!.seq === 1 && m!.deliveryCount === 1) return; // dropped: ack-wait must bring it back
        if (m!.seq === 2 && m!.deliveryCount === 1) return m!.nak();
        await m!.ack();
      });
      await waitFor(() => deliveries.filter((d) => d.count === 2).length === 2, 'both redeliveries');
      await sub.stop();
      assert.deepEqual(deliveries.filter((d) => d.seq === 1).map((d) => d.count), [1, 2]);
      assert.deepEqual(deliveries.filter((d) => d.seq === 2).map((d) => d.count), [1, 2]);
    });

    test('a work queue splits messages between consumers of one durable, each once, and deletes them on ack', async (t) => {
      if (!bus) return t.skip('no nats-server');
      const s = await stream('workqueue');
      const seen = new Map<number, string>();
      const handler = (who: string) => async (msgs: BusMessage[]) => {
        for (const m of msgs) {
          assert.ok(!seen.has(m.seq), `seq ${m.seq} delivered twice`);
          seen.set(m.seq, who);
          await sleep(2);
          await m.ack();
        }
      };
      const a = await bus.consume({ stream: s, durable: 'writers', batch: 5 }, handler('a'));
      const b = await bus2!.consume({ stream: s, durable: 'writers', batch: 5 }, handler('b'));
      for (let i = 0; i < 200; i++) await bus.publish(`${s}.e`, encodeJson({ i }));
      await waitFor(() => seen.size === 200, '200 messages');
      await a.stop(); await b.stop();
      const byA = [...seen.values()].filter((w) => w === 'a').length;
      assert.ok(byA > 0 && byA < 200, `both consumers took work (a: ${byA})`);
      await waitFor(async () => (await bus!.streamMessages(s)) === 0, 'the queue to empty');
    });

    test('maxAckPending holds back delivery until messages are acknowledged (backpressure)', async (t) => {
      if (!bus) return t.skip('no nats-server');
      const s = await stream();
      for (let i = 0; i < 30; i++) await bus.publish(`${s}.p`, encodeJson({ i }));
      const held: BusMessage[] = [];
      const sub = await bus.consume({ stream: s, durable: 'bp', maxAckPending: 10, batch: 4, ackWaitMs: 60_000 }, async (msgs) => { held.push(...msgs); });
      await waitFor(() => held.length === 10, 'the first 10');
      await sleep(500);
      assert.equal(held.length, 10, 'no more than maxAckPending out unacknowledged');
      for (const m of held.splice(0, 5)) await m.ack();
      await waitFor(() => held.length === 10, '5 more after 5 acks');
      await sleep(300);
      assert.equal(held.length, 10);
      await sub.stop();
    });

    test('a repeated msgId is stored once', async (t) => {
      if (!bus) return t.skip('no nats-server');
      const s = await stream();
      const a = await bus.publish(`${s}.d`, encodeJson({ v: 1 }), { msgId: 'batch-1' });
      const b = await bus.publish(`${s}.d`, encodeJson({ v: 1 }), { msgId: 'batch-1' });
      const c = await bus.publish(`${s}.d`, encodeJson({ v: 2 }), { msgId: 'batch-2', headers: { 'x-origin': 'test' } });
      assert.equal(a.duplicate, false);
      assert.equal(b.duplicate, true);
      assert.equal(b.seq, a.seq);
      assert.equal(c.seq, a.seq + 1);
      assert.equal(await bus.streamMessages(s), 2);
      let header: string | undefined;
      const sub = await bus.consume({ stream: s, durable: 'h' }, async (msgs) => {
        for (const m of msgs) { if (m.seq === c.seq) header = m.headers['x-origin']; await m.ack(); }
      });
      await waitFor(() => header !== undefined, 'the header');
      await sub.stop();
      assert.equal(header, 'test');
    });

    test('publishing to a subject no stream holds fails clearly', async (t) => {
      if (!bus) return t.skip('no nats-server');
      await assert.rejects(bus.publish(`NOWHERE_${uniq()}.x`, encodeJson({})), /no stream/i);
    });

    test('notices reach every subscriber; requests reach one responder and come back', async (t) => {
      if (!bus) return t.skip('no nats-server');
      const subj = `notice.${uniq()}`;
      const got: string[] = [];
      const n1 = bus.onNotice(subj, (d) => got.push(`1:${decodeJson<{ m: string }>(d).m}`));
      const n2 = bus2!.onNotice(subj, (d) => got.push(`2:${decodeJson<{ m: string }>(d).m}`));
      await sleep(100);
      await bus.notify(subj, encodeJson({ m: 'hi' }));
      await waitFor(() => got.length === 2, 'both notices');
      assert.deepEqual(got.sort(), ['1:hi', '2:hi']);
      await n1.stop(); await n2.stop();

      const rsubj = `rpc.${uniq()}`;
      const r = bus2!.respond(rsubj, (d) => encodeJson({ doubled: decodeJson<{ x: number }>(d).x * 2 }));
      await sleep(100);
      const out = decodeJson<{ doubled: number }>(await bus.request(rsubj, encodeJson({ x: 21 }), 5000));
      assert.equal(out.doubled, 42);
      await r.stop();
      await assert.rejects(bus.request(`rpc.${uniq()}`, encodeJson({}), 300));
    });
  });
}

suite('in-process', async () => new MemoryBus(), 1);

let nats: Awaited<ReturnType<typeof testNats>>;
suite('JetStream (3-node cluster, R3 streams)', async () => {
  nats ??= await testNats();
  return nats ? JetStreamBus.connect({ url: nats.url }) : undefined;
}, 3);
after(async () => { await nats?.stop(); });
