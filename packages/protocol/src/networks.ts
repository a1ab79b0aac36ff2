import { ProtocolError } from './errors.ts';
import mainnetSeeds from './fixed-seeds/mainnet.json' with { type: 'json' };
import signetSeeds from './fixed-seeds/signet.json' with { type: 'json' };
import testnetSeeds from './fixed-seeds/testnet.json' with { type: 'json' };
import testnet4Seeds from './fixed-seeds/testnet4.json' with { type: 'json' };

export type ChainName = 'mainnet' | 'testnet' | 'testnet4' | 'signet' | 'regtest';
export const CHAIN_NAMES: readonly ChainName[] = ['mainnet', 'testnet', 'testnet4', 'signet', 'regtest'];

export interface ChainParams {
  name: ChainName;
  /** The 4 bytes every v1 message starts with. */
  magic: Uint8Array;
  magicHex: string;
  defaultPort: number;
  /** DNS seeds as Bitcoin Core v31 ships them (src/kernel/chainparams.cpp). */
  dnsSeeds: readonly string[];
  /**
   * Fallback "host:port" endpoints when DNS gives nothing: Core's contrib/seeds lists
   * (nodes_main.txt, nodes_testnet4.txt, nodes_signet.txt; every network, Tor and I2P
   * included), each file's source commit recorded in fixed-seeds/*.json. Core's testnet3
   * list (nodes_test.txt) holds no endpoints, so testnet falls back to DNS seeds alone.
   */
  fixedSeeds: readonly string[];
}

function chain(
  name: ChainName,
  magicHex: string,
  defaultPort: number,
  dnsSeeds: string[],
  fixedSeeds: string[] = [],
) {
  return {
    name,
    magic: Uint8Array.from(Buffer.from(magicHex, 'hex')),
    magicHex,
    defaultPort,
    dnsSeeds,
    fixedSeeds,
  };
}

export const CHAINS: Readonly<Record<ChainName, ChainParams>> = {
  mainnet: chain(
    'mainnet',
    'f9beb4d9',
    8333,
    [
      'seed.bitcoin.sipa.be',
      'dnsseed.bluematt.me',
      'seed.bitcoin.jonasschnelli.ch',
      'seed.btc.petertodd.net',
      'seed.bitcoin.sprovoost.nl',
      'dnsseed.emzy.de',
      'seed.bitcoin.wiz.biz',
      'seed.mainnet.achownodes.xyz',
    ],
    mainnetSeeds.seeds,
  ),
  testnet: chain(
    'testnet',
    '0b110907',
    18333,
    [
      'testnet-seed.bitcoin.jonasschnelli.ch',
      'seed.tbtc.petertodd.net',
      'seed.testnet.bitcoin.sprovoost.nl',
      'testnet-seed.bluematt.me',
      'seed.testnet.achownodes.xyz',
    ],
    testnetSeeds.seeds,
  ),
  testnet4: chain(
    'testnet4',
    '1c163f28',
    48333,
    ['seed.testnet4.bitcoin.sprovoost.nl', 'seed.testnet4.wiz.biz'],
    testnet4Seeds.seeds,
  ),
  signet: chain(
    'signet',
    '0a03cf40',
    38333,
    ['seed.signet.bitcoin.sprovoost.nl', 'seed.signet.achownodes.xyz'],
    signetSeeds.seeds,
  ),
  regtest: chain('regtest', 'fabfb5da', 18444, []),
};

/**
 * Looks a chain up by name; accepts 'testnet3' for testnet. An unknown name is a
 * configuration mistake, not peer data: it is thrown as a ProtocolError (which the CLI
 * turns into a usage error) whose message names the valid choices; its code is MALFORMED
 * only because ProtocolError has no configuration code, so do not branch on it.
 */
export function chainByName(name: string): ChainParams {
  const key = name === 'testnet3' ? 'testnet' : name;
  const found = Object.hasOwn(CHAINS, key) ? CHAINS[key as ChainName] : undefined;
  if (!found) {
    throw new ProtocolError(
      'MALFORMED',
      `unknown network "${name}": choose one of ${CHAIN_NAMES.join(', ')} (testnet3 is an alias of testnet)`,
    );
  }
  return found;
}

export function chainByMagic(magic: Uint8Array): ChainParams | undefined {
  const hex = Buffer.from(magic).toString('hex');
  return CHAIN_NAMES.map((n) => CHAINS[n]).find((c) => c.magicHex === hex);
}
