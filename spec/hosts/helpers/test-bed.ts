import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerProcess } from '../../helpers/peer-process.js';

/** Every namespace a test bed creates starts with this, then the creating process's pid. */
export const BED_PREFIX = 'pcbed';
/** Most hosts one bed holds. */
export const MAX_HOSTS = 20;

/** One host of a {@link TestBed}: a network namespace with its own addresses. */
export interface BedHost {
  readonly index: number;
  /** The host's network namespace. */
  readonly netns: string;
  /** Its IPv4 address (10.77.0.0/24 on the switch; 10.78.N.0/24 behind its router when NATed). */
  readonly ipv4: string;
  /** Its IPv6 address (fd77::/64 on the switch; fd78:N::/64 behind its router when NATed). */
  readonly ipv6: string;
  /** True when it sits behind a masquerading router: it dials out, nobody can dial it. */
  readonly nat: boolean;
  /** The namespace of its NAT router, when {@link BedHost.nat}. */
  readonly router: string | undefined;
  /** A directory of its own (its "disk": the local resolver's directory lives here). */
  readonly dir: string;
}

/** How to build a {@link TestBed}. */
export interface TestBedOptions {
  /** @defaultValue 5 */
  readonly hosts?: number;
  /** Indices of hosts placed behind NAT. @defaultValue [] */
  readonly nat?: readonly number[];
}

/** A failed `ip`/`nft`/`tc` command, with what it printed. */
export class BedCommandError extends Error {}

function run(args: readonly string[], input?: string): string {
  const [cmd, ...rest] = args;
  const r = spawnSync(cmd!, rest, { encoding: 'utf8', input });
  if (r.error !== undefined || r.status !== 0) {
    throw new BedCommandError(`${args.join(' ')} failed (${r.status ?? r.error?.message}): ${(r.stderr ?? '').trim()}`);
  }
  return r.stdout;
}

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Network namespaces as hosts: N namespaces, each with its own IPv4 and IPv6 address, joined by
 * veth pairs to a bridge in a switch namespace; peers run in them as real processes
 * (`ip netns exec`). Partitions move a host's switch port to another bridge; heal moves it back.
 *
 * @remarks
 * Names are `pcbed<pid>x<random>-…`, so parallel runs never collide, and {@link TestBed.sweepStale}
 * removes the namespaces of runs whose process is gone (a crashed run). {@link TestBed.destroy}
 * kills every process the bed started and deletes every namespace it made, also after a failed
 * build; call it from `afterAll`. The addresses are private ranges that exist only inside these
 * namespaces. IPv6 addresses are added without duplicate address detection, so they are usable at
 * once.
 */
export class TestBed {
  readonly hosts: BedHost[] = [];
  readonly switchNs: string;
  private readonly namespaces: string[] = [];
  private readonly processes: PeerProcess[] = [];
  private readonly bridges = new Set<string>(['br0']);
  private readonly root: string;
  private destroyed = false;

  private constructor(readonly id: string) {
    this.switchNs = `${id}-sw`;
    this.root = mkdtempSync(join(tmpdir(), `${id}-`));
  }

  /**
   * Why a bed cannot be built here, or `undefined` when it can: needs root, `ip` (iproute2) and
   * namespace support; with NAT hosts also `nft` (nftables).
   */
  static unavailableReason(options: { nat?: boolean } = {}): string | undefined {
    if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
    if (process.getuid?.() !== 0) return 'network namespaces need root (run the host specs as root, as CI does)';
    if (!has('ip')) return 'the `ip` command (iproute2) is missing: apt-get install iproute2';
    if (options.nat === true && !has('nft')) return 'the `nft` command (nftables) is missing: apt-get install nftables';
    const probe = `${BED_PREFIX}${process.pid}xprobe${randomBytes(2).toString('hex')}`;
    try {
      run(['ip', 'netns', 'add', probe]);
      run(['ip', 'netns', 'del', probe]);
    } catch (error) {
      return `cannot create a network namespace: ${(error as Error).message}`;
    }
    return undefined;
  }

  /** Deletes namespaces left by runs whose process no longer exists; returns how many. */
  static sweepStale(): number {
    let swept = 0;
    const names = run(['ip', 'netns', 'list']).split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(BED_PREFIX));
    for (const name of names) {
      const pid = Number(/^pcbed(\d+)x/.exec(name)?.[1]);
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) continue;
      try {
        run(['ip', 'netns', 'del', name]);
        swept += 1;
      } catch {
        // Already gone (another sweeper won the race): nothing left to clean.
      }
    }
    return swept;
  }

  /** Builds a bed; on any failure everything made so far is torn down and the error rethrown. */
  static create(options: TestBedOptions = {}): TestBed {
    const count = options.hosts ?? 5;
    if (!Number.isInteger(count) || count < 1 || count > MAX_HOSTS) throw new RangeError(`hosts must be 1..${MAX_HOSTS}`);
    TestBed.sweepStale();
    const bed = new TestBed(`${BED_PREFIX}${process.pid}x${randomBytes(3).toString('hex')}`);
    try {
      bed.build(count, new Set(options.nat ?? []));
    } catch (error) {
      bed.destroy();
      throw error;
    }
    return bed;
  }

  private addNs(name: string): void {
    run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    this.exec(name, ['sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    this.ip(name, 'link', 'set', 'lo', 'up');
  }

  private ip(ns: string, ...args: string[]): string {
    return run(['ip', '-n', ns, ...args]);
  }

  /** Runs a command inside namespace `ns` and returns its output. */
  exec(ns: string, args: readonly string[], input?: string): string {
    return run(['ip', 'netns', 'exec', ns, ...args], input);
  }

  private build(count: number, nat: ReadonlySet<number>): void {
    const sw = this.switchNs;
    this.addNs(sw);
    this.addBridge('br0');
    for (let i = 0; i < count; i++) {
      const netns = `${this.id}-h${i}`;
      const onSwitch = { v4: `10.77.0.${10 + i}`, v6: `fd77::${(10 + i).toString(16)}` };
      this.addNs(netns);
      const dir = mkdtempSync(join(this.root, `h${i}-`));
      if (!nat.has(i)) {
        this.plug(`p${i}`, netns, 'eth0', onSwitch.v4, onSwitch.v6);
        this.hosts.push({ index: i, netns, ipv4: onSwitch.v4, ipv6: onSwitch.v6, nat: false, router: undefined, dir });
        continue;
      }
      // A NAT router: its WAN port on the switch, its LAN port to the host, masquerading outbound
      // and forwarding nothing inbound that the inside did not start.
      const router = `${this.id}-r${i}`;
      this.addNs(router);
      this.plug(`p${i}`, router, 'wan0', onSwitch.v4, onSwitch.v6);
      const inside = { v4: `10.78.${i}.2`, v6: `fd78:${i.toString(16)}::2`, gw4: `10.78.${i}.1`, gw6: `fd78:${i.toString(16)}::1` };
      this.ip(router, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
      this.ip(router, 'addr', 'add', `${inside.gw4}/24`, 'dev', 'lan0');
      this.ip(router, '-6', 'addr', 'add', `${inside.gw6}/64`, 'dev', 'lan0', 'nodad');
      this.ip(router, 'link', 'set', 'lan0', 'up');
      this.ip(netns, 'addr', 'add', `${inside.v4}/24`, 'dev', 'eth0');
      this.ip(netns, '-6', 'addr', 'add', `${inside.v6}/64`, 'dev', 'eth0', 'nodad');
      this.ip(netns, 'link', 'set', 'eth0', 'up');
      this.ip(netns, 'route', 'add', 'default', 'via', inside.gw4);
      this.ip(netns, '-6', 'route', 'add', 'default', 'via', inside.gw6);
      this.exec(router, ['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
      this.exec(router, ['nft', '-f', '-'], [
        'table inet pcnat {',
        '  chain postrouting {',
        '    type nat hook postrouting priority 100;',
        '    oifname "wan0" masquerade',
        '  }',
        '  chain forward {',
        '    type filter hook forward priority 0; policy drop;',
        '    ct state established,related accept',
        '    iifname "lan0" oifname "wan0" accept',
        '  }',
        '}',
        '',
      ].join('\n'));
      this.hosts.push({ index: i, netns, ipv4: inside.v4, ipv6: inside.v6, nat: true, router, dir });
    }
  }

  private addBridge(name: string): void {
    this.ip(this.switchNs, 'link', 'add', name, 'type', 'bridge', 'stp_state', '0', 'mcast_snooping', '0');
    this.ip(this.switchNs, 'link', 'set', name, 'up');
    this.bridges.add(name);
  }

  /** A veth from switch port `port` (on br0) to `ifname` in `ns`, with the given addresses. */
  private plug(port: string, ns: string, ifname: string, v4: string, v6: string): void {
    this.ip(this.switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', ifname, 'netns', ns);
    this.ip(this.switchNs, 'link', 'set', port, 'master', 'br0');
    this.ip(this.switchNs, 'link', 'set', port, 'up');
    this.ip(ns, 'addr', 'add', `${v4}/24`, 'dev', ifname);
    this.ip(ns, '-6', 'addr', 'add', `${v6}/64`, 'dev', ifname, 'nodad');
    this.ip(ns, 'link', 'set', ifname, 'up');
  }

  /**
   * Splits the switch: the hosts of `groups[k]` go to bridge `br<k>` (the first group stays on
   * br0), so only hosts of one group reach each other. Established TCP connections across groups
   * are not reset: they go silent, as on a real cut, until keepalives give up.
   */
  partition(groups: readonly (readonly number[])[]): void {
    groups.forEach((group, k) => {
      const bridge = `br${k}`;
      if (!this.bridges.has(bridge)) this.addBridge(bridge);
      for (const i of group) this.ip(this.switchNs, 'link', 'set', `p${i}`, 'master', bridge);
    });
  }

  /** Moves every host back onto br0. */
  heal(): void {
    for (const h of this.hosts) this.ip(this.switchNs, 'link', 'set', `p${h.index}`, 'master', 'br0');
  }

  /** Caps what host `index` sends onto the switch with a token bucket (`tc … tbf`). */
  capBandwidth(index: number, rate: string, burst = '32kbit', latency = '50ms'): void {
    const h = this.hosts[index]!;
    const [ns, dev] = h.nat ? [h.router!, 'wan0'] : [h.netns, 'eth0'];
    this.ip(ns, 'link', 'show', dev);
    run(['tc', '-n', ns, 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', rate, 'burst', burst, 'latency', latency]);
  }

  /** Removes a cap set by {@link TestBed.capBandwidth}. */
  uncapBandwidth(index: number): void {
    const h = this.hosts[index]!;
    const [ns, dev] = h.nat ? [h.router!, 'wan0'] : [h.netns, 'eth0'];
    run(['tc', '-n', ns, 'qdisc', 'del', 'dev', dev, 'root']);
  }

  /** Starts `node script args` inside host `index`, with its own local-resolver directory. */
  spawn(index: number, script: string, args: readonly string[], env: Record<string, string> = {}): PeerProcess {
    const h = this.hosts[index]!;
    const p = new PeerProcess(script, args, { PEERCHANNEL_LOCAL_DIR: h.dir, ...env }, ['ip', 'netns', 'exec', h.netns]);
    this.processes.push(p);
    return p;
  }

  /** Kills every process started here and deletes every namespace and directory. Idempotent. */
  async destroyAsync(): Promise<void> {
    await Promise.all(this.processes.splice(0).map((p) => p.kill()));
    this.destroy();
  }

  /** Synchronous part of teardown: namespaces and directories (processes must be gone first). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const p of this.processes.splice(0)) void p.kill();
    for (const ns of this.namespaces.reverse()) {
      try {
        run(['ip', 'netns', 'del', ns]);
      } catch {
        // Deleted by a sweeper already; the namespace is gone either way.
      }
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}
