// placeholder until the tokenizer library lands
namespace dsi::tokenizer {}
