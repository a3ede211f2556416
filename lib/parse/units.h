// CODATA 2018 conversions (the constants of Quantum ESPRESSO >= 6.8).
#pragma once

namespace xrun::parse::units {

constexpr double kEvPerHartree = 27.211386245988;
constexpr double kEvPerRydberg = kEvPerHartree / 2.0;  // 13.605693122994
constexpr double kAngstromPerBohr = 0.529177210903;
constexpr double kEvPerAngstromPerRyPerBohr = kEvPerRydberg / kAngstromPerBohr;
constexpr double kEvPerAngstromPerHaPerBohr = kEvPerHartree / kAngstromPerBohr;

}  // namespace xrun::parse::units
