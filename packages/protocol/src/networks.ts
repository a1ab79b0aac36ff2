import { ProtocolError } from './errors.ts';
import mainnetSeeds from './fixed-seeds/mainnet.json' with { type: 'json' };

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
  /** Fallback "host:port" endpoints when DNS gives nothing (Core's contrib/seeds data). */
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
  testnet: chain('testnet', '0b110907', 18333, [
    'testnet-seed.bitcoin.jonasschnelli.ch',
    'seed.tbtc.petertodd.net',
    'seed.testnet.bitcoin.sprovoost.nl',
    'testnet-seed.bluematt.me',
    'seed.testnet.achownodes.xyz',
  ]),
  testnet4: chain('testnet4', '1c163f28', 48333, [
    'seed.testnet4.bitcoin.sprovoost.nl',
    'seed.testnet4.wiz.biz',
  ]),
  signet: chain('signet', '0a03cf40', 38333, [
    'seed.signet.bitcoin.sprovoost.nl',
    'seed.signet.achownodes.xyz',
  ]),
  regtest: chain('regtest', 'fabfb5da', 18444, []),
};

/** Looks a chain up by name; accepts 'testnet3' for testnet. Throws on an unknown name. */
export function chainByName(name: string): ChainParams {
  const key = name === 'testnet3' ? 'testnet' : name;
  const found = (CHAINS as Record<string, ChainParams>)[key];
  if (!found) {
    throw new ProtocolError(
      'MALFORMED',
      `unknown network "${name}" (expected one of ${CHAIN_NAMES.join(', ')})`,
    );
  }
  return found;
}

export function chainByMagic(magic: Uint8Array): ChainParams | undefined {
  const hex = Buffer.from(magic).toString('hex');
  return CHAIN_NAMES.map((n) => CHAINS[n]).find((c) => c.magicHex === hex);
}
