/**
 * System-state and network plugins and functions: interfaces, netstat, connections,
 * http_client, netcat, and rand (which Velociraptor keeps with its network and sleep helpers); ip(),
 * cidr_contains(), url() and host() (DNS).
 */
import type { Registry } from '../../vql/index.ts';
import type { HostOptions } from '../options.ts';
import { interfaces } from './interfaces.ts';
import { connections, netstat } from './netstat.ts';
import { httpClientPlugin } from './http-client.ts';
import { netcatPlugin } from './netcat.ts';
import { rand } from './rand.ts';
import { installIpProtocols, ip } from './ip.ts';
import { cidrContains } from './cidr-contains.ts';
import { url } from './url.ts';
import { host } from './host.ts';
import { geoip } from './geoip.ts';

export function registerNet(registry: Registry, opts: HostOptions): void {
  registry.registerPlugin(interfaces);
  registry.registerPlugin(netstat);
  registry.registerPlugin(connections);
  registry.registerPlugin(httpClientPlugin(opts.network === 'loopback'));
  registry.registerPlugin(netcatPlugin(opts.network === 'loopback'));
  registry.registerFunction(rand);
  registry.registerFunction(ip);
  installIpProtocols(registry);
  registry.registerFunction(cidrContains);
  registry.registerFunction(url);
  registry.registerFunction(host);
  registry.registerFunction(geoip);
}
