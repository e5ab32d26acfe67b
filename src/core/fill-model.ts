/**
 * How a paper order fills against a trade (`Tick`). One model serves both worlds:
 * - a recorded candle arrives as its open and then its low, high and close as *path* ticks: between
 *   a path tick and the one before it the price moved continuously, so a stop crossed on the way fills
 *   exactly at its level, and a market order fills at the path price;
 * - a live trade (or a candle's open) may gap: a stop it crosses fills at that trade, at the best bid
 *   when market depth is known; a buy fills at the best ask when known.
 * Slippage is added to every buy and taken from every sale, and a sale never fills below one tick
 * (v25.md "Exits": `exit = max(0.05, price − slippage)`).
 */
import type { Tick } from './types.js';

/** The NSE tick for NIFTY options: no sale fills below it. */
export const MIN_SALE_PRICE = 0.05;

/** A sale at `price` less slippage, floored at one tick. A stop's level stays exact (off the 0.05 grid is fine). */
export function sellFill(price: number, slippagePoints: number): number {
  return Math.max(MIN_SALE_PRICE, price - slippagePoints);
}

export class PaperFillModel {
  constructor(readonly slippagePoints: number) {}

  /** A market buy on this trade, slippage included. */
  buy(tick: Tick): number {
    return (tick.path ? tick.ltp : (tick.ask ?? tick.ltp)) + this.slippagePoints;
  }

  /** Where a market sale on this trade meets the market, before slippage. */
  marketSale(tick: Tick): number {
    return tick.path ? tick.ltp : (tick.bid ?? tick.ltp);
  }

  /** Where a stop at `stop` that this trade reached meets the market, before slippage. */
  stopSale(tick: Tick, stop: number): number {
    return tick.path ? stop : (tick.bid ?? tick.ltp);
  }

  /** The fill of a sale that met the market at `price`: less slippage, never below one tick. */
  sell(price: number): number {
    return sellFill(price, this.slippagePoints);
  }

  /**
   * Slippage of a round trip in points: the buy's in full, the sale's as far as the floor left it
   * (against the fill the same sale would have had at zero slippage).
   */
  roundTripSlippage(salePrice: number, exitPrice: number): number {
    return this.slippagePoints + sellFill(salePrice, 0) - exitPrice;
  }
}
