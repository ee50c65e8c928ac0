// placeholder until the ops library lands
namespace dsi::ops {}
