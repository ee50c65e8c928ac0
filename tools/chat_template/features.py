"""Feature cases for the C++ Jinja renderer: (name, template, context). gen_fixtures.py
renders each with jinja2 (transformers' environment) and records the output or the error.
Cases avoid printing values whose Python repr holds a memory address or a generator."""

MSGS = [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"}]

F = []


def case(name, template, context=None):
    F.append((name, template, context or {}))


# ---- lexer: data, whitespace control, trim_blocks / lstrip_blocks, comments, raw ----------
case("data_plain", "Hello, world!")
case("data_trailing_newline_dropped", "abc\n")
case("data_two_trailing_newlines", "abc\n\n")
case("data_crlf_normalized", "a\r\nb\rc\n{{ 'x' }}\r\n")
case("trim_blocks_newline_after_block", "{% if true %}\nyes\n{% endif %}\nafter")
case("trim_blocks_only_one_newline", "{% if true %}\n\nyes{% endif %}")
case("trim_blocks_not_after_variable", "{{ 'v' }}\nnext")
case("lstrip_blocks_indent", "line\n    {% if true %}\n    body\n    {% endif %}\nend")
case("lstrip_blocks_tabs", "\t\t{% if true %}x{% endif %}")
case("lstrip_blocks_not_midline", "text  {% if true %}x{% endif %}")
case("lstrip_blocks_not_variable", "  {{ 'v' }}")
case("lstrip_blocks_template_start", "   {% set x = 1 %}{{ x }}")
case("lstrip_blocks_comment", "a\n   {# note #}\nb")
case("lstrip_blocks_nbsp", "a\n\u00a0 {% if true %}x{% endif %}")
case("plus_disables_lstrip", "a\n    {%+ if true %}x{% endif %}")
case("plus_disables_trim", "{% if true +%}\nx{% endif %}")
case("minus_strips_left", "a   \n\n  {%- if true %}x{% endif %}")
case("minus_strips_right", "{% if true -%}   \n\n  x{% endif %}")
case("variable_minus_both", "a  \n {{- 'v' -}} \n  b")
case("variable_plus_start", "a  {{+ 'v' }}")
case("comment_basic", "a{# comment #}b")
case("comment_multiline", "a{# line1\nline2 #}b")
case("comment_minus", "a  {#- c -#}  b")
case("comment_trim_newline", "{# c #}\nb")
case("comment_with_tags_inside", "a{# {% if %} {{ x }} #}b")
case("raw_block", "{% raw %}{{ not rendered }} {% if %}{% endraw %}")
case("raw_block_whitespace", "x\n  {% raw %}\n  {{ a }}\n  {% endraw %}\ny")
case("raw_block_minus", "x {%- raw -%}  {{ a }}  {%- endraw -%} y")
case("braces_in_data", "a { b } {c} }} %} #}")
case("multiline_tag", "{{\n  1\n  +\n  2\n}}")
case("multiline_if_chain", "{%- for m in messages %}\n  {%- if m.role == 'user' %}\n"
     "U:{{ m.content }}\n  {%- else %}\nO:{{ m.content }}\n  {%- endif %}\n{%- endfor %}",
     {"messages": MSGS})

# ---- literals and printing --------------------------------------------------------------
case("string_escapes", r"{{ 'a\nb\tc\\d\'e\"f' }}")
case("string_hex_unicode_escapes", r"{{ '\x41\u00e9\U0001F600' }}")
case("string_octal_escape", r"{{ '\101\60' }}")
case("string_unknown_escape", r"{{ '\d\q' }}")
case("string_double_quotes", "{{ \"it's\" }}")
case("string_adjacent_concat", "{{ 'a' 'b' \"c\" }}")
case("string_with_newline_literal", "{{ 'a\nb' }}")
case("string_unicode_literal", "{{ '你好 ▁｜' }}")
case("int_literals", "{{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 0 }} {{ 00 }}")
case("int_leading_zero_error", "{{ 007 }}")
case("float_literals", "{{ 1.5 }} {{ 1e3 }} {{ 2.5e-3 }} {{ 1_0.5 }} {{ 1E2 }}")
case("bool_none_literals", "{{ true }} {{ True }} {{ false }} {{ False }} {{ none }} {{ None }}")
case("list_literal", "{{ [1, 'a', [2, 3], none, true] }}")
case("list_trailing_comma", "{{ [1, 2,] }}")
case("dict_literal", "{{ {'a': 1, 'b': [1, 2], 3: 'x', 'n': none} }}")
case("dict_trailing_comma", "{{ {'a': 1,} }}")
case("tuple_literal", "{{ (1, 2) }} {{ (1,) }} {{ () }} {{ (1) }}")
case("tuple_in_print", "{{ 1, 'a' }}")
case("print_float_repr", "{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 1.0 }} {{ -0.0 }} "
     "{{ 1e-5 }} {{ 0.0001 }} {{ 123456789.123 }} {{ 2.5e-10 }} {{ 1/3 }}")
case("print_string_repr_in_list", "{{ ['it\\'s', 'say \"hi\"', 'both \\' \"', 'tab\\t'] }}")
case("print_nested_repr", "{{ {'k': ['v', {'n': 1.5}], 'e': {}} }}")
case("print_none_and_bools", "{{ [none, true, false] }}")
case("print_unicode_repr", "{{ ['é', '中', '\u00a0', '\u200b', '\x7f'] }}")
case("print_context_values", "{{ msgs }}", {"msgs": MSGS})

# ---- operators ----------------------------------------------------------------------------
case("arith_int", "{{ 7 + 3 }} {{ 7 - 10 }} {{ 6 * 7 }} {{ 7 / 2 }} {{ 7 // 2 }} {{ 7 % 3 }}")
case("arith_negative_floor", "{{ -7 // 2 }} {{ -7 % 3 }} {{ 7 // -2 }} {{ 7 % -3 }}")
case("arith_float", "{{ 7.5 // 2 }} {{ 7.5 % 2 }} {{ -7.5 // 2 }} {{ 1.5 * 2 }} {{ 4 / 2 }}")
case("arith_pow", "{{ 2 ** 10 }} {{ 2 ** -1 }} {{ 2 ** 3 ** 2 }} {{ -2 ** 2 }} {{ 2.0 ** 0.5 }}")
case("arith_bool", "{{ true + 1 }} {{ true * 3 }} {{ false - 1 }}")
case("arith_precedence", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 2 - 3 }} {{ 2 * 3 % 4 }}")
case("unary", "{{ -5 }} {{ +5 }} {{ -(-3) }} {{ - 2.5 }} {{ -x }}", {"x": 4})
case("string_concat_plus", "{{ 'a' + 'b' }}")
case("string_repeat", "{{ 'ab' * 3 }} {{ 3 * 'x' }} {{ 'x' * 0 }} {{ 'x' * -1 }}")
case("list_concat_repeat", "{{ [1] + [2, 3] }} {{ [0] * 3 }} {{ (1,) + (2,) }}")
case("tilde_concat", "{{ 'a' ~ 1 ~ none ~ true ~ 1.5 ~ [1] ~ undefined_name }}")
case("compare_ops", "{{ 1 == 1 }} {{ 1 != 2 }} {{ 1 < 2 }} {{ 2 <= 2 }} {{ 3 > 2 }} "
     "{{ 2 >= 3 }} {{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }}")
case("compare_chained", "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1 == 1 }} {{ 1 < 3 > 2 }}")
case("compare_mixed_eq", "{{ 1 == '1' }} {{ none == none }} {{ [1] == [1] }} {{ {'a': 1} == {'a': 1} }}")
case("logic_and_or_values", "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' and 'z' }} {{ none or none }} "
     "{{ [] or [1] }}")
case("logic_not", "{{ not true }} {{ not 0 }} {{ not '' }} {{ not not 'a' }} {{ not 1 == 2 }}")
case("logic_precedence", "{{ true or false and false }} {{ not false and false }}")
case("in_operator", "{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} "
     "{{ 'x' not in 'abc' }} {{ 3 not in [1, 2] }} {{ 'a' in undefined_name }}")
case("in_dict_messages", "{% for m in msgs %}{{ 'content' in m }}{{ 'tool_calls' in m }}{% endfor %}",
     {"msgs": MSGS})
case("cond_expr", "{{ 'y' if true else 'n' }} {{ 'y' if false else 'n' }} {{ 'y' if false }}|")
case("cond_expr_nested", "{{ 'a' if x == 1 else 'b' if x == 2 else 'c' }}", {"x": 2})
case("cond_expr_in_filter_arg", "{{ ('y' if true else 'n')|upper }}")

# ---- attribute and item access ------------------------------------------------------------
case("getattr_dict_key", "{{ m.role }} {{ m['content'] }}", {"m": MSGS[1]})
case("getattr_missing_prints_empty", "[{{ m.nope }}][{{ m['nope'] }}]", {"m": MSGS[1]})
case("getattr_missing_is_undefined", "{{ m.nope is defined }} {{ m.nope is undefined }}",
     {"m": MSGS[1]})
case("getattr_nested", "{{ d.a.b.c }}", {"d": {"a": {"b": {"c": 42}}}})
case("getattr_of_none", "[{{ n.foo }}]", {"n": None})
case("getattr_of_string", "[{{ 'abc'.foo }}]")
case("getattr_method_wins_over_key", "{{ d['items'] }} {{ d.get('items') }}", {"d": {"items": 5}})
case("getitem_list", "{{ xs[0] }} {{ xs[-1] }} [{{ xs[10] }}] {{ xs.1 }}", {"xs": [1, 2, 3]})
case("getitem_string", "{{ 'héllo'[1] }} {{ 'abc'[-1] }} [{{ 'abc'[5] }}]")
case("getitem_bool_index", "{{ xs[true] }}", {"xs": ["a", "b"]})
case("slice_list", "{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::2] }} {{ xs[::-1] }} {{ xs[1:3] }} "
     "{{ xs[-2:] }} {{ xs[5:] }} {{ xs[:] }}", {"xs": [1, 2, 3, 4]})
case("slice_string", "{{ s[1:-1] }} {{ s[::-1] }} {{ s[:2] }} {{ s[2:100] }} {{ s[-100:2] }}",
     {"s": "héllo"})
case("slice_negative_step", "{{ xs[3:0:-1] }} {{ xs[::-2] }} {{ xs[-1:-3:-1] }}",
     {"xs": [0, 1, 2, 3, 4]})
case("messages_index_chain", "{{ messages[0]['role'] }} {{ messages[-1].content }}",
     {"messages": MSGS})
case("undefined_attr_error", "{{ nothing.attr }}")
case("undefined_item_error", "{{ nothing['x'] }}")
case("undefined_chain_error", "{{ d.missing.deeper }}", {"d": {}})

# ---- tests (`is`) ------------------------------------------------------------------------
case("test_defined", "{{ x is defined }} {{ y is defined }} {{ y is undefined }} "
     "{{ x is not defined }}", {"x": 1})
case("test_none", "{{ none is none }} {{ 0 is none }} {{ n is none }} {{ n is not none }}",
     {"n": None})
case("test_types", "{{ 's' is string }} {{ 1 is string }} {{ 1 is number }} {{ 1.5 is number }} "
     "{{ true is number }} {{ 1 is integer }} {{ true is integer }} {{ 1.0 is float }} "
     "{{ 1 is float }} {{ true is boolean }} {{ 1 is boolean }}")
case("test_containers", "{{ {} is mapping }} {{ [] is mapping }} {{ [] is iterable }} "
     "{{ 's' is iterable }} {{ 1 is iterable }} {{ {} is sequence }} {{ [] is sequence }} "
     "{{ 1 is sequence }} {{ u is iterable }} {{ u is sequence }}")
case("test_true_false", "{{ true is true }} {{ 1 is true }} {{ false is false }} "
     "{{ 0 is false }} {{ none is false }}")
case("test_odd_even", "{{ 3 is odd }} {{ 4 is odd }} {{ 4 is even }} {{ -3 is odd }} "
     "{{ 0 is even }}")
case("test_divisibleby", "{{ 9 is divisibleby 3 }} {{ 10 is divisibleby(3) }} "
     "{{ 10 is divisibleby 5 }}")
case("test_equalto", "{{ 1 is equalto 1 }} {{ 1 is eq 2 }} {{ 'a' is eq('a') }} "
     "{{ 1 is ne 2 }} {{ 1 is ne 1 }}")
case("test_ordering", "{{ 3 is gt 2 }} {{ 3 is lt 2 }} {{ 3 is ge 3 }} {{ 3 is le 2 }} "
     "{{ 3 is greaterthan 2 }} {{ 3 is lessthan 2 }} {{ 'b' is gt 'a' }}")
case("test_in", "{{ 1 is in [1, 2] }} {{ 'a' is in 'abc' }} {{ 3 is in [1] }}")
case("test_lower_upper", "{{ 'abc' is lower }} {{ 'aBc' is lower }} {{ 'ABC' is upper }} "
     "{{ 'A1' is upper }} {{ '12' is lower }}")
case("test_callable", "{{ range is callable }} {{ 1 is callable }} {{ 'a'.upper is callable }}")
case("test_sameas", "{{ none is sameas none }} {{ true is sameas true }} {{ 1 is sameas 2 }}")
case("test_negated_precedence", "{{ not x is defined }} {{ x is not none and x > 0 }}", {"x": 5})
case("test_in_if", "{% if x is defined and x is not none %}ok{% endif %}", {"x": 0})

# ---- filters ------------------------------------------------------------------------------
case("filter_trim", "[{{ '  x  '|trim }}] [{{ 'xxhixx'|trim('x') }}] [{{ '\n\t y \u3000'|trim }}]")
case("filter_trim_undefined", "[{{ nothing|trim }}]")
case("filter_length_count", "{{ 'héllo'|length }} {{ [1, 2]|count }} {{ {'a': 1}|length }} "
     "{{ nothing|length }}")
case("filter_length_int_error", "{{ 5|length }}")
case("filter_join", "{{ ['a', 'b']|join(', ') }} {{ [1, 2, 3]|join }} {{ 'abc'|join('-') }} "
     "{{ [1, none, 'x']|join('|') }}")
case("filter_join_attribute", "{{ msgs|join(', ', attribute='role') }}", {"msgs": MSGS})
case("filter_case", "{{ 'hELLo'|lower }} {{ 'hello'|upper }} {{ 'hELLO wORLD'|capitalize }} "
     "{{ 'hello world-foo(bar) [x]'|title }} {{ 'éa'|upper }}")
case("filter_replace", "{{ 'aaa'|replace('a', 'b') }} {{ 'aaa'|replace('a', 'b', 2) }} "
     "{{ 'abc'|replace('', '-') }} {{ 123|replace('2', 'x') }}")
case("filter_default", "{{ x|default('d') }} {{ ''|default('d') }} {{ ''|default('d', true) }} "
     "{{ none|d('z') }} {{ none|default('z', boolean=true) }} {{ 0|default(5, true) }} "
     "[{{ x|default }}]")
case("filter_first_last", "{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ 'abc'|first }} "
     "{{ 'abc'|last }} [{{ []|first }}] [{{ []|last }}]")
case("filter_list", "{{ 'ab'|list }} {{ (1, 2)|list }} {{ {'a': 1, 'b': 2}|list }} "
     "{{ nothing|list }}")
case("filter_string", "{{ 1|string ~ 'x' }} {{ [1, 'a']|string }} {{ none|string }} "
     "{{ nothing|string }}|")
case("filter_int", "{{ '42'|int }} {{ '42.7'|int }} {{ ' 12 '|int }} {{ 'abc'|int }} "
     "{{ 'abc'|int(7) }} {{ 3.9|int }} {{ -3.9|int }} {{ none|int }} {{ '1_000'|int }} "
     "{{ '0x1A'|int(0, 16) }} {{ '0b11'|int(base=0) }} {{ true|int }}")
case("filter_int_undefined_error", "{{ nothing|int }}")
case("filter_float", "{{ '1.5'|float }} {{ 'x'|float }} {{ 3|float }} {{ ' 2e3 '|float }} "
     "{{ 'x'|float(1.25) }} {{ '-inf'|float }} {{ none|float }}")
case("filter_abs", "{{ -5|abs }} {{ 5|abs }} {{ -2.5|abs }}")
case("filter_round", "{{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 7|round }} "
     "{{ 1.55|round(1) }} {{ 1.5|round(0, 'floor') }} {{ 1.21|round(1, 'ceil') }} "
     "{{ -1.5|round }} {{ 1234.5|round(-2) }}")
case("filter_indent", "{{ 'a\nb\n\nc'|indent }}|{{ 'a\nb'|indent(2) }}|"
     "{{ 'a\n\nb\n'|indent(2, true, true) }}|{{ 'x\ny'|indent('--', first=true) }}")
case("filter_safe_escape", "{{ '<b>&'|safe }} {{ '<a href=\"x\">\\'&</a>'|e }} "
     "{{ '<i>'|escape }} {{ 5|e }}")
case("filter_items", "{% for k, v in d|items %}{{ k }}={{ v }};{% endfor %}",
     {"d": {"b": 1, "a": 2}})
case("filter_items_undefined", "[{% for k, v in nothing|items %}x{% endfor %}]")
case("filter_items_error", "{{ [1]|items|list }}")
case("filter_dictsort", "{{ d|dictsort }} {{ d|dictsort(true) }} {{ d|dictsort(by='value') }} "
     "{{ d|dictsort(reverse=true) }}", {"d": {"b": 1, "A": 3, "a": 2}})
case("filter_map_attribute", "{{ msgs|map(attribute='role')|list }} "
     "{{ msgs|map(attribute='missing', default='-')|list }}", {"msgs": MSGS})
case("filter_map_filter", "{{ ['a', 'b']|map('upper')|join(',') }} "
     "{{ ['x,y', 'z']|map('replace', ',', ';')|list }}")
case("filter_map_dotted", "{{ rows|map(attribute='a.b')|list }} {{ pairs|map(attribute='0')|list }}",
     {"rows": [{"a": {"b": 1}}, {"a": {"b": 2}}], "pairs": [[1, 2], [3, 4]]})
case("filter_select_reject", "{{ [1, 2, 3, 4]|select('odd')|list }} "
     "{{ [1, 2, 3, 4]|reject('odd')|list }} {{ [0, 1, '', none, 'x']|select|list }} "
     "{{ [1, 5, 10]|select('gt', 3)|list }} {{ [1, 2, 3]|select('in', [2, 3])|list }}")
case("filter_selectattr", "{{ msgs|selectattr('role', 'equalto', 'user')|list }} "
     "{{ msgs|rejectattr('role', 'eq', 'user')|map(attribute='role')|list }} "
     "{{ rows|selectattr('x')|list }} {{ rows|selectattr('x', 'defined')|list }}",
     {"msgs": MSGS, "rows": [{"x": 1}, {"y": 2}, {"x": 0}]})
case("filter_select_none", "{{ n|select|list }} {{ n|map('upper')|list }}", {"n": None})
case("filter_unique", "{{ ['a', 'A', 'b', 'a']|unique|list }} "
     "{{ ['a', 'A']|unique(case_sensitive=true)|list }} "
     "{{ rows|unique(attribute='k')|list }}", {"rows": [{"k": 1}, {"k": 1, "z": 2}, {"k": 2}]})
case("filter_reverse", "{{ 'abc'|reverse }} {{ [1, 2, 3]|reverse|list }}")
case("filter_sort", "{{ [3, 1, 2]|sort }} {{ ['b', 'A', 'a']|sort }} "
     "{{ ['b', 'A', 'a']|sort(case_sensitive=true) }} {{ [3, 1, 2]|sort(reverse=true) }} "
     "{{ rows|sort(attribute='n')|map(attribute='n')|list }}",
     {"rows": [{"n": "b"}, {"n": "a"}, {"n": "c"}]})
case("filter_sort_stable_reverse", "{{ rows|sort(attribute='k', reverse=true)|map(attribute='i')|list }}",
     {"rows": [{"k": 1, "i": 0}, {"k": 2, "i": 1}, {"k": 1, "i": 2}, {"k": 2, "i": 3}]})
case("filter_sort_type_error", "{{ [1, 'a']|sort }}")
case("filter_min_max", "{{ [3, 1, 2]|min }} {{ [3, 1, 2]|max }} {{ ['b', 'A']|min }} "
     "{{ ['b', 'A']|max(case_sensitive=true) }} [{{ []|max }}] "
     "{{ rows|max(attribute='n') }}", {"rows": [{"n": 1}, {"n": 5}, {"n": 3}]})
case("filter_sum", "{{ [1, 2, 3]|sum }} {{ [1.5, 2]|sum }} {{ rows|sum(attribute='v') }} "
     "{{ [1]|sum(start=10) }}", {"rows": [{"v": 1}, {"v": 2}]})
case("filter_batch", "{{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ [1, 2, 3]|batch(2, 'x')|list }}")
case("filter_center_wordcount", "[{{ 'x'|center(7) }}][{{ 'ab'|center(7) }}] "
     "{{ 'hello world, foo_bar 42'|wordcount }}")
case("filter_format", "{{ '%s-%d'|format('a', 3) }} {{ '%(k)s!'|format(k='v') }} "
     "{{ '%05.2f|%x|%o|%e'|format(3.14159, 255, 8, 12345.678) }}")
case("filter_attr", "{{ ('abc'|attr('upper'))() }} [{{ d|attr('k') }}]", {"d": {"k": 1}})
case("filter_chain", "{{ '  Hello World  '|trim|lower|replace('world', 'there')|title }}")
case("filter_block_syntax", "{% filter upper %}hello {{ 'x' }}{% endfilter %}")
case("filter_in_set_block", "{% set x | trim | upper %}  hi  {% endset %}[{{ x }}]")
case("filter_unknown_in_if_ok", "{% if false %}{{ x|nosuchfilter }}{% endif %}ok")
case("filter_unknown_in_if_runtime", "{% if true %}{{ x|nosuchfilter }}{% endif %}")

# ---- tojson (transformers' json.dumps) ----------------------------------------------------
case("tojson_basic", "{{ v|tojson }}",
     {"v": {"s": "é\"\\\n\t<>&'", "i": 1, "f": 1.5, "b": True, "n": None, "l": [1, "x"],
            "e": [], "o": {}}})
case("tojson_key_order", "{{ v|tojson }}", {"v": {"z": 1, "a": 2, "m": {"y": 1, "b": 2}}})
case("tojson_indent", "{{ v|tojson(indent=2) }}|{{ [1, [2, {}]]|tojson(indent=4) }}",
     {"v": {"a": [1, 2], "b": {"c": None}}})
case("tojson_indent_string", "{{ [1, 2]|tojson(indent='\t') }}")
case("tojson_sort_keys", "{{ v|tojson(sort_keys=true) }}", {"v": {"b": 1, "a": {"d": 1, "c": 2}}})
case("tojson_separators", "{{ v|tojson(separators=(',', ':')) }}", {"v": {"a": [1, 2]}})
case("tojson_ensure_ascii", "{{ 'é中😀'|tojson(ensure_ascii=true) }} {{ 'é中😀'|tojson }} "
     "{{ 'é'|tojson(true) }}")
case("tojson_floats", "{{ [1.0, 0.1, 1e20, 1e-7, -0.0, 3]|tojson }}")
case("tojson_tuple_and_nested_literals", "{{ (1, 'a')|tojson }} {{ {'k': (none, true)}|tojson }}")
case("tojson_control_chars", "{{ '\x01\x1f\x7f'|tojson }}")
case("tojson_int_keys", "{{ {1: 'a', true: 'b', none: 'c'}|tojson }}")
case("tojson_undefined_error", "{{ nothing|tojson }}")
case("tojson_tools", "{% for t in tools %}{{ t|tojson }}\n{% endfor %}",
     {"tools": [{"type": "function", "function": {"name": "f", "description": "d",
                                                  "parameters": {"type": "object",
                                                                 "properties": {}}}}]})

# ---- str / list / dict methods ------------------------------------------------------------
case("str_split", "{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} "
     "{{ 'a b c'.rsplit(' ', 1) }} {{ 'x'.split('x') }} {{ ''.split() }} "
     "{{ '  a b  '.split(none, 1) }} {{ '  a b  '.rsplit(none, 1) }}")
case("str_split_last", "{{ 'a</think>b</think>c'.split('</think>')[-1] }} "
     "{{ 'a</think>b'.split('</think>', 1)[1] }}")
case("str_split_empty_sep_error", "{{ 'abc'.split('') }}")
case("str_strip", "[{{ '  x '.strip() }}][{{ 'xxyxx'.strip('x') }}][{{ '  x '.lstrip() }}]"
     "[{{ '  x '.rstrip() }}][{{ '\n x\t'.strip() }}][{{ 'abcba'.strip('ab') }}]")
case("str_startswith_endswith", "{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith('bc') }} "
     "{{ 'abc'.startswith(('x', 'a')) }} {{ 'abc'.endswith('') }} {{ 'abc'.startswith('b', 1) }}")
case("str_case_methods", "{{ 'Hello'.upper() }} {{ 'Hello'.lower() }} {{ 'hello wORLD'.title() }} "
     "{{ 'they\\'re'.title() }} {{ 'hELLO'.capitalize() }} {{ 'aBc'.swapcase() }}")
case("str_find_count", "{{ 'abcabc'.find('c') }} {{ 'abcabc'.rfind('c') }} {{ 'abc'.find('z') }} "
     "{{ 'aaa'.count('a') }} {{ 'aaaa'.count('aa') }} {{ 'héllo'.find('l') }} "
     "{{ 'abcabc'.index('b') }}")
case("str_index_missing_error", "{{ 'abc'.index('z') }}")
case("str_replace_method", "{{ 'a-b-c'.replace('-', '+') }} {{ 'a-b-c'.replace('-', '', 1) }}")
case("str_join_method", "{{ ', '.join(['a', 'b']) }} {{ ''.join('abc') }}")
case("str_join_type_error", "{{ ','.join([1, 2]) }}")
case("str_predicates", "{{ 'abc'.isalpha() }} {{ '123'.isdigit() }} {{ 'a1'.isalnum() }} "
     "{{ '  '.isspace() }} {{ 'abc'.islower() }} {{ 'ABC'.isupper() }} {{ ''.isalpha() }} "
     "{{ 'Ab Cd'.istitle() }}")
case("str_format_method", "{{ '{} {}'.format('a', 'b') }} {{ '{1}{0}'.format('a', 'b') }} "
     "{{ '{x}-{y}'.format(x=1, y=2) }} {{ '{:>5}|{:<4}|{:^6}'.format('r', 'l', 'c') }} "
     "{{ '{:.2f} {:5d} {:05d} {:,}'.format(3.14159, 42, 42, 1234567) }} "
     "{{ '{!r}'.format('q') }} {{ '{{}}'.format() }} {{ '{0[a]} {1.real}'.format({'a': 1}, 2) }}")
case("str_pad_methods", "[{{ 'ab'.center(6, '*') }}][{{ 'ab'.ljust(4) }}][{{ 'ab'.rjust(4, '.') }}]"
     "[{{ '42'.zfill(5) }}][{{ '-42'.zfill(5) }}]")
case("str_partition", "{{ 'a=b=c'.partition('=') }} {{ 'a=b=c'.rpartition('=') }} "
     "{{ 'abc'.partition('x') }}")
case("str_splitlines", "{{ 'a\nb\r\nc'.splitlines() }} {{ 'a\nb'.splitlines(true) }}")
case("str_removeprefix", "{{ 'prefix_x'.removeprefix('prefix_') }} {{ 'x.py'.removesuffix('.py') }}")
case("str_percent_operator", "{{ '%s and %s' % ('a', 'b') }} {{ '%d%%' % 50 }} "
     "{{ '%(n)s' % {'n': 'named'} }} {{ '%5s|%-5s|' % ('r', 'l') }} {{ '%.3s' % 'abcdef' }}")
case("str_percent_error", "{{ '%s %s' % ('only one',) }}")
case("dict_methods", "{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 'dflt') }} "
     "{{ d.keys()|list }} {{ d.values()|list }} {{ d.items()|list }}", {"d": {"a": 1, "b": 2}})
case("dict_items_loop", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
     {"d": {"x": 1, "y": [2]}})
case("list_methods", "{{ [1, 2, 1].count(1) }} {{ [1, 2, 1].index(2) }} {{ (1, 2).index(2) }}")
case("list_append_unsafe_error", "{% set ns = namespace(a=[]) %}{% set _ = ns.a.append(1) %}"
     "{{ ns.a }}")
case("dict_update_unsafe_error", "{% set d = {} %}{{ d.update({'a': 1}) }}")
case("unsafe_attr_prints_empty", "[{{ [].append }}]")
case("dunder_attr_blocked", "[{{ ''.__class__ }}]")

# ---- statements ---------------------------------------------------------------------------
case("if_elif_else", "{% for x in [1, 2, 3] %}{% if x == 1 %}one{% elif x == 2 %}two"
     "{% else %}other{% endif %};{% endfor %}")
case("if_truthiness", "{% for v in [0, 1, '', 'a', [], [0], {}, none] %}"
     "{% if v %}T{% else %}F{% endif %}{% endfor %}")
case("for_loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}"
     "{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}")
case("for_previtem_nextitem", "{% for x in [1, 2, 3] %}[{{ loop.previtem }}|{{ loop.nextitem }}]"
     "{% endfor %}")
case("for_cycle", "{% for x in range(5) %}{{ loop.cycle('a', 'b') }}{% endfor %}")
case("for_else", "{% for x in [] %}x{% else %}empty{% endfor %} "
     "{% for x in [1] %}x{% else %}empty{% endfor %}")
case("for_inline_if", "{% for x in range(10) if x is odd %}{{ x }}:{{ loop.index }}/"
     "{{ loop.length }} {% endfor %}")
case("for_inline_if_else", "{% for x in [1, 2] if x > 5 %}x{% else %}none{% endfor %}")
case("for_tuple_unpack", "{% for a, b in [[1, 2], [3, 4]] %}{{ a }}{{ b }};{% endfor %}")
case("for_tuple_unpack_parens", "{% for (a, b) in [(1, 2)] %}{{ a + b }}{% endfor %}")
case("for_unpack_error", "{% for a, b in [[1, 2, 3]] %}{% endfor %}")
case("for_over_dict_keys", "{% for k in d %}{{ k }}{% endfor %}", {"d": {"b": 1, "a": 2}})
case("for_over_string", "{% for c in 'hé!' %}[{{ c }}]{% endfor %}")
case("for_over_undefined", "[{% for x in nothing %}x{% endfor %}]")
case("for_over_none_error", "{% for x in n %}{% endfor %}", {"n": None})
case("for_over_int_error", "{% for x in 5 %}{% endfor %}")
case("for_nested_outer_loop", "{% for a in [1, 2] %}{% set outer = loop %}{% for b in 'xy' %}"
     "{{ outer.index }}{{ loop.index }}{{ b }} {% endfor %}{% endfor %}")
case("for_loop_var_not_leaking", "{% for i in [1, 2] %}{% endfor %}[{{ i }}]")
case("for_set_scoping", "{% set x = 5 %}{% for i in [1, 2] %}{% set x = x + i %}{{ x }} "
     "{% endfor %}{{ x }}")
case("for_set_per_iteration", "{% for i in range(3) %}{% if i == 1 %}{% set y = 5 %}{% endif %}"
     "[{{ y }}]{% endfor %}")
case("for_break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}"
     "{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}")
case("for_break_nested", "{% for a in range(3) %}{% for b in range(3) %}{% if b == 1 %}"
     "{% break %}{% endif %}{{ a }}{{ b }} {% endfor %}{% endfor %}")
case("for_recursive", "{% for n in tree recursive %}{{ n.name }}{% if n.kids %}("
     "{{ loop(n.kids) }}){% endif %}{{ loop.depth }};{% endfor %}",
     {"tree": [{"name": "a", "kids": [{"name": "b", "kids": []}, {"name": "c"}]},
               {"name": "d"}]})
case("for_loop_call_not_recursive_error", "{% for x in [[1]] %}{{ loop(x) }}{% endfor %}")
case("for_messages_pattern", "{% for m in messages %}{% if loop.first and m.role == 'system' %}"
     "[S]{% endif %}{{ m.role[0]|upper }}:{{ m.content }}{% if not loop.last %}|{% endif %}"
     "{% endfor %}", {"messages": MSGS})
case("set_basic", "{% set x = 1 %}{% set y = x + 1 %}{{ x }}{{ y }}")
case("set_tuple", "{% set a, b = [1, 2] %}{{ a }}{{ b }}{% set c = 1, 2 %}{{ c }}")
case("set_tuple_error", "{% set a, b = [1] %}")
case("set_in_if_leaks", "{% if true %}{% set z = 3 %}{% endif %}{{ z }}")
case("set_block", "{% set body %}Hello {{ name }}!{% endset %}[{{ body }}]", {"name": "Bob"})
case("set_overrides_context", "{% set messages = messages[1:] %}{{ messages|length }}",
     {"messages": MSGS})
case("set_default_pattern", "{% if not add_generation_prompt is defined %}"
     "{% set add_generation_prompt = false %}{% endif %}{{ add_generation_prompt }}")
case("namespace_basic", "{% set ns = namespace(a=1, b='x') %}{{ ns.a }}{{ ns.b }}"
     "{% set ns.a = ns.a + 1 %}{{ ns.a }}[{{ ns.missing }}]")
case("namespace_in_loop", "{% set ns = namespace(total=0, found=false) %}{% for i in range(4) %}"
     "{% set ns.total = ns.total + i %}{% if i == 2 %}{% set ns.found = true %}{% endif %}"
     "{% endfor %}{{ ns.total }} {{ ns.found }}")
case("namespace_repr", "{% set ns = namespace(a=1) %}{{ ns }}")
case("namespace_from_dict", "{% set ns = namespace({'k': 'v'}, n=2) %}{{ ns.k }}{{ ns.n }}")
case("namespace_list_attr", "{% set ns = namespace(items=[]) %}{% for i in range(3) %}"
     "{% set ns.items = ns.items + [i] %}{% endfor %}{{ ns.items }}")
case("set_attr_non_namespace_error", "{% set d = {'a': 1} %}{% set d.x = 1 %}")
case("macro_basic", "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}"
     "{{ greet('Ann') }} {{ greet('Bo', '?') }} {{ greet(punct='.', name='Cy') }}")
case("macro_default_uses_arg", "{% macro m(a, b=a+1) %}{{ a }}{{ b }}{% endmacro %}{{ m(1) }}")
case("macro_missing_arg", "{% macro m(a, b) %}[{{ a }}][{{ b }}]{% endmacro %}{{ m(1) }}")
case("macro_varargs_kwargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}"
     "{{ m(1, 2, 3, z=4) }}")
case("macro_too_many_args_error", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}")
case("macro_bad_kwarg_error", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=1) }}")
case("macro_sees_outer_later_value", "{% set x = 1 %}{% macro m() %}{{ x }}{% endmacro %}"
     "{% set x = 2 %}{{ m() }}")
case("macro_local_scope", "{% macro m() %}{% set y = 1 %}{{ y }}{% endmacro %}{{ m() }}[{{ y }}]")
case("macro_recursion", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}"
     "{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}{{ fact(5) }}")
case("macro_returns_string", "{% macro m() %}5{% endmacro %}{{ m() ~ '!' }} {{ m()|int + 1 }}")
case("macro_name_attr", "{% macro hello() %}{% endmacro %}{{ hello.name }}")
case("call_block", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}"
     "{% call wrap('b') %}bold {{ 1 + 1 }}{% endcall %}")
case("call_block_with_args", "{% macro each(xs) %}{% for x in xs %}{{ caller(x, loop.index) }}"
     "{% endfor %}{% endmacro %}{% call(item, i) each(['a', 'b']) %}{{ i }}={{ item }};"
     "{% endcall %}")
case("with_block", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]")
case("with_outer_value", "{% set x = 10 %}{% with y = x * 2 %}{{ y }}{% set x = 0 %}{{ x }}"
     "{% endwith %}{{ x }}")
case("print_tag", "{% print 'a', 1 %}")
case("generation_tag", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}"
     "{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %};{% endfor %}",
     {"messages": MSGS})

# ---- globals ------------------------------------------------------------------------------
case("range_forms", "{{ range(3)|list }} {{ range(1, 10, 3)|list }} {{ range(10, 0, -3)|list }} "
     "{{ range(0)|list }} {{ range(5, 1)|list }}")
case("range_length_and_index", "{{ range(5)|length }} {{ range(5)[-1] }}")
case("range_too_big_error", "{{ range(200000)|length }}")
case("range_step_zero_error", "{{ range(1, 2, 0)|list }}")
case("dict_global", "{{ dict(a=1, b=2) }} {{ dict({'x': 1}, y=2) }} {{ dict([['p', 1]]) }}")
case("joiner_global", "{% set sep = joiner(', ') %}{% for x in 'abc' %}{{ sep() }}{{ x }}"
     "{% endfor %}")
case("raise_exception_message", "{% if messages|length == 0 %}"
     "{{ raise_exception('Conversation roles must alternate user/assistant!') }}{% endif %}",
     {"messages": []})
case("raise_exception_line", "line one\n{% for m in messages %}\n"
     "{% if m.role == 'system' %}{{ raise_exception('System role not supported') }}"
     "{% endif %}\n{% endfor %}", {"messages": MSGS})
case("strftime_now", "{{ strftime_now('%Y-%m-%d %H:%M:%S') }} {{ strftime_now('%d %B %Y') }} "
     "{{ strftime_now('%A %j %b %I%p') }}")

# ---- undefined semantics ------------------------------------------------------------------
case("undefined_prints_empty", "[{{ nothing }}]")
case("undefined_is_falsy", "{% if nothing %}T{% else %}F{% endif %}{{ not nothing }}")
case("undefined_equality", "{{ nothing == nothing2 }} {{ nothing != 1 }} {{ nothing == none }}")
case("undefined_arith_error", "{{ nothing + 1 }}")
case("undefined_compare_error", "{{ nothing < 1 }}")
case("undefined_call_error", "{{ nothing() }}")
case("undefined_method_error", "{{ nothing.split(',') }}")
case("undefined_in_list", "{{ nothing in [1, 2] }} {{ nothing in 'abc' if false else 'skip' }}")
case("undefined_concat_tilde", "[{{ nothing ~ 'x' }}]")
case("undefined_plus_string_error", "{{ 'x' + nothing }}")
case("loop_outside_loop_error", "{{ loop.index }}")

# ---- runtime type errors ------------------------------------------------------------------
case("type_error_str_plus_int", "{{ 'a' + 1 }}")
case("type_error_none_plus_str", "{{ none + 'a' }}")
case("type_error_list_plus_tuple", "{{ [1] + (2,) }}")
case("type_error_in_string", "{{ 1 in 'abc' }}")
case("type_error_in_none", "{{ 'a' in none }}")
case("type_error_compare", "{{ 'a' < 1 }}")
case("type_error_call_string", "{{ 'abc'() }}")
case("type_error_unary", "{{ -'a' }}")
case("zero_division", "{{ 1 / 0 }}")
case("zero_floor_division", "{{ 1 // 0 }}")
case("zero_modulo", "{{ 1 % 0 }}")
case("content_none_concat_error", "{% for m in messages %}{{ 'A: ' + m.content }}{% endfor %}",
     {"messages": [{"role": "assistant", "content": None}]})
case("error_line_three", "a\nb\n{{ 1 + 'x' }}")

# ---- syntax errors ------------------------------------------------------------------------
case("syntax_unclosed_if", "{% if true %}no end")
case("syntax_unclosed_for", "line1\n{% for x in y %}\nbody")
case("syntax_unknown_tag", "{% frobnicate %}")
case("syntax_endif_without_if", "text{% endif %}")
case("syntax_nesting_mistake", "{% for x in y %}{% endif %}")
case("syntax_missing_expression", "{{ }}")
case("syntax_binary_missing_operand", "a\n\n{{ 1 + }}")
case("syntax_unclosed_variable", "{{ x ")
case("syntax_unclosed_block", "{% if x ")
case("syntax_unclosed_string", "{{ 'abc }}")
case("syntax_unexpected_char", "{{ x $ y }}")
case("syntax_unbalanced_paren", "{{ (1 + 2 }}")
case("syntax_unexpected_close", "{{ 1 + 2) }}")
case("syntax_mismatched_bracket", "{{ [1, 2) }}")
case("syntax_unclosed_comment", "a {# never closed")
case("syntax_unclosed_raw", "{% raw %}never closed")
case("syntax_break_outside_loop", "{% break %}")
case("syntax_continue_in_macro_in_loop", "{% for i in x %}{% macro m() %}{% continue %}"
     "{% endmacro %}{% endfor %}")
case("syntax_unknown_filter", "{{ x|nosuchfilter }}")
case("syntax_unknown_test", "{{ x is nosuchtest }}")
case("syntax_assign_to_literal", "{% set 1 = 2 %}")
case("syntax_for_missing_in", "{% for x y %}{% endfor %}")
case("syntax_else_twice", "{% if a %}{% else %}{% else %}{% endif %}")
case("syntax_bad_dict", "{{ {'a' 1} }}")
case("syntax_chained_is", "{{ x is defined is defined }}")
case("syntax_macro_default_order", "{% macro m(a=1, b) %}{% endmacro %}")
case("syntax_call_positional_after_keyword", "{{ f(a=1, 2) }}")
case("syntax_line_col_multiline", "{% for m in messages %}\n  {{ m.content }}\n  {% if %}\n"
     "{% endfor %}")


# ---- mixed edge cases: scoping, whitespace, formatting, comparisons, objects --------
case("misc_a1", "{{ 1.5|int }} {{ '3.0'|int }} {{ 'nan'|float }} {{ '1e500'|float }} {{ '  -0x10'|int(0,16) }}")
case("misc_a2", "{{ 10|string|length }} {{ none|length if false else 1 }}")
case("misc_a3", "{{ '%5.1f%%' % 99.55 }} {{ '%-6d|' % 42 }} {{ '%+d' % 5 }} {{ '%c' % 65 }} {{ '%r' % 'x' }} {{ '%i' % 3.9 }}")
case("misc_a4", "{{ '{:>8.3f}'.format(3.14159) }} {{ '{:e}'.format(12345.6789) }} {{ '{:g}'.format(0.00001234) }} {{ '{:%}'.format(0.25) }} {{ '{:x}'.format(255) }} {{ '{:#b}'.format(5) }}")
case("misc_a5", "{{ '{:.3}'.format(1.0) }} {{ '{:.3}'.format(1234.5678) }} {{ '{}'.format(1.5) }} {{ '{:10}'.format(1.5) }} {{ '{:+}'.format(3) }}")
case("misc_a6", "{{ 1e300 * 1e10 }} {{ -1e300 * 1e10 }}")
case("misc_a8", "{{ [1, 2, 3]|join(', ')|length }} {{ 'abc'|batch(2)|list }}")
case("misc_a9", "{% for i in [1, 1, 2, 2, 1] %}{{ loop.changed(i) }}{% endfor %}")
case("misc_b1", "{{ x }}", {"x": 1e100})
case("misc_b3", "{{ x|tojson }}", {"x": [1.5e-7, 123456789.0, 0.1]})
case("misc_b5", "{{ 'Hello World'|replace(' ', '') }} {{ 'a\tb'|wordcount }}")
case("misc_b6", "{{ ' \u2003x\u2003 '|trim|length }} {{ 'x\u200by'.split() }}")
case("misc_b8", "{% set x = {'a': {'b': 1}} %}{{ x.a.b }}{{ x['a']['b'] }}{{ x.a['b'] }}")
case("misc_b9", "{{ [1,2,3][1:2][0] }} {{ 'abc'[0:2][1] }} {{ [[1, 2]][0][1] }}")
case("misc_c1", "{% set ns = namespace() %}{% set ns.x = 1 %}{{ ns.x }}")
case("misc_c2", "{% set a = [3,1] %}{{ a|sort }}{{ a }}")
case("misc_c3", "{{ [{'a': 2}, {'a': 1}]|sort(attribute='a')|first }}")
case("misc_c4", "{{ messages|selectattr('role', 'eq', 'user')|map(attribute='content')|join(' ') }}", {"messages": [{"role": "user", "content": "a"}, {"role": "x", "content": "b"}, {"role": "user", "content": "c"}]})
case("misc_c5", "{{ [1, 2] == (1, 2) }} {{ (1, 2) == (1, 2) }} {{ [] == () }}")
case("misc_c6", "{{ 1 if [] else 2 }} {{ 'x' if {} else 'y' }}")
case("misc_c7", "{{ 'abc' * true }} {{ true + true }}")
case("misc_c8", "{{ -3 // 2 }} {{ -3.0 // 2 }} {{ 3 // -2.0 }} {{ -7.5 % 2 }} {{ 7.5 % -2 }}")
case("misc_c9", "{{ 0.1 * 3 }} {{ 1/7 }} {{ 2/3 }} {{ 100.0 }} {{ 1e16 + 1 }} {{ 123e-20 }}")
case("misc_d1", "{{ range(3)|reverse|list }} {{ range(3)|sum }} {{ range(1, 4)|map('string')|join }}")
case("misc_d2", "{{ 'a b c'|title }} {{ 'o\\'neil mc-donald'|title }} {{ 'HELLO wORLD'|capitalize }}")
case("misc_d3", "{{ 'x'|indent(2, true) }}|{{ ''|indent }}|{{ '\\n'|indent(2, true, true) }}|")
case("misc_d4", "{{ [1, 'a', none]|tojson }} {{ {'k': 'v'}|tojson(indent=0) }}")
case("misc_d5", "{{ '  a  '|center(9) }}|{{ 'abc'|center(2) }}")
case("misc_d6", "{{ {'b': 1, 'a': 2}|dictsort|map('first')|list }}")
case("misc_d7", "{{ [3, 2, 1]|sort|first }} {{ 'cba'|sort|join }}")
case("misc_d8", "{{ ['b', 'a', 'B']|unique|sort|list }}")
case("misc_d9", "{{ [0, 1, 2]|select|list }} {{ [0, 1, 2]|reject|list }} {{ ['', 'a']|select('string')|list }}")
case("misc_e1", "{% for a in [1] %}{% for b in [2] %}{{ loop.depth }}{% endfor %}{% endfor %}")
case("misc_e2", "{% macro m(x) -%}\n  [{{ x }}]\n{%- endmacro %}\n{{ m(1) }}\n{{ m(2) }}")
case("misc_e3", "{%- for m in ms -%}\n  {{ m }}\n{% endfor -%}", {"ms": [1, 2]})
case("misc_e4", "  {%- if true %}\n  a\n  {% endif %}\n  b")
case("misc_e5", "{% if true %}  x  {% endif %}\n\n{% if false %}y{% else %}z{% endif %}")
case("misc_e6", "{# c #}  {# d #}\n  e")
case("misc_e7", "a\n  {%+ if true %}b{% endif %}")
case("misc_e8", "{% raw -%}  x  {%- endraw %}")
case("misc_e9", "x {% raw %}\n  y\n{% endraw %}\nz")
case("misc_f1", "{{ 'a' ~ 'b' ~ 'c' }} {{ 1 ~ 2 + 3 }} {{ (1 ~ 2)|int + 1 }}")
case("misc_f2", "{{ not 'a' in 'abc' }} {{ 'a' not in 'abc' }} {{ not ('a' in 'abc') }}")
case("misc_f3", "{{ 1 + 2 if false else 3 }} {{ [1, 2] if true }} {{ 'a' if 'x' in 'xy' else 'b' }}")
case("misc_f4", "{{ x is none or x == 0 }}", {"x": 0})
case("misc_f5", "{{ x.y is defined }}", {"x": None})
case("misc_f6", "{{ -x }}", {"x": True})
case("misc_f7", "{{ [1][0:1][0] + 1 }}")
case("misc_f8", "{{ (messages|last).content }}", {"messages": [{"content": "z"}]})
case("misc_f9", "{{ messages[-1]['content'][:2] }}", {"messages": [{"content": "hello"}]})
case("misc_g1", "{% set x = 5 %}{% macro m() %}{% set x = 6 %}{{ x }}{% endmacro %}{{ m() }}{{ x }}")
case("misc_g2", "{% macro m(a) %}{{ a }}{{ caller() if caller else '' }}{% endmacro %}{{ m(1) }}")
case("misc_g3", "{% set x %}{% for i in range(3) %}{{ i }}{% endfor %}{% endset %}{{ x|length }}")
case("misc_g4", "{% for x in 'ab' %}{% set y %}{{ x }}{{ loop.index }}{% endset %}{{ y }}{% endfor %}")
case("misc_g5", "{% with %}{% set q = 1 %}{{ q }}{% endwith %}[{{ q }}]")
case("misc_g6", "{% for k, v in {'a': [1, 2]}.items() %}{% for x in v %}{{ k }}{{ x }}{% endfor %}{% endfor %}")
case("misc_g7", "{{ dict(a=1).a }} {{ dict().get('x', 'd') }}")
case("misc_g8", "{% set t = (1, 2) %}{% set a, b = t %}{{ b }}{{ t[0] }}{{ t|length }}")
case("misc_g9", "{% for (a, b), c in [((1, 2), 3)] %}{{ a }}{{ b }}{{ c }}{% endfor %}")
case("misc_h1", "{{- 'a' -}}\n\n{{- 'b' }}")
case("misc_h2", "x\n{%- if true -%}\ny\n{%- endif -%}\nz")
case("misc_h3", "{% for i in [1,2] %}\n  {{ i }}\n{% endfor %}\n")
case("misc_h4", "{% if true %}\r\n  a\r\n{% endif %}\r\n")
case("misc_h5", "  {# comment #}  x")
case("misc_h6", "  {{ 'x' }}  {% if true %}  y{% endif %}")
case("misc_h7", "a {%- raw %} b {% endraw -%} c")
case("misc_h8", "{% raw %}{% endraw %}")
case("misc_h9", "{%raw%}x{%endraw%}")
case("misc_i1", "{{'a'}}{{\"b\"}}{{1}}")
case("misc_i2", "{%if true%}x{%endif%}")
case("misc_i3", "{% if true %}x{% endif -%}   \n\n   y")
case("misc_i4", "{{ 'a' }}\n{% if true %}\n\n{% endif %}")
case("misc_i5", "{% set x = 1 -%}\n  {{ x }}")
case("misc_i6", "\t{%- if true %}a{% endif %}")
case("misc_i7", "text\n\t  \t{% if true %}a{% endif %}")
case("misc_i8", "{#- x -#}\n\n  y")
case("misc_i9", "a\n{# x #}\nb")
case("misc_j1", "{{ '\\\\n' }}|{{ '\\'' }}|{{ \"\\\"\" }}")
case("misc_j2", "{{ 'tab\there' }}")
case("misc_j3", "{{ '{{ not a tag }}' }}")
case("misc_j4", "{{ '%}' }}{{ '}}' }}")
case("misc_j5", "{{ {'a': {'b': 1}} }}")
case("misc_j6", "{{ {'a': 1}['a'] }}")
case("misc_j7", "{% set x = {'k': [1, {'z': 2}]} %}{{ x.k[1].z }}")
case("misc_j8", "{{ [1, [2, [3]]] }}")
case("misc_j9", "{{ x[0] }}", {"x": "é"})
case("misc_k1", "{{ a == b }}", {"a": {"x": 1, "y": 2}, "b": {"y": 2, "x": 1}})
case("misc_k2", "{{ a in b }}", {"a": {"x": 1}, "b": [{"x": 1}]})
case("misc_k3", "{{ 1 in {1: 2} }} {{ 1.0 in [1] }} {{ true in [1] }}")
case("misc_k4", "{{ [1, 2, 3]|select('equalto', 2)|list }} {{ ['a', 'b']|reject('in', 'a')|list }}")
case("misc_k5", "{{ (1, 2)|tojson }} {{ (1,)|list }}")
case("misc_k6", "{{ x|first }}", {"x": {"k": 1, "j": 2}})
case("misc_k7", "{{ x|last }}", {"x": {"k": 1, "j": 2}})
case("misc_k8", "{{ x|list|length }} {{ x|reverse|list }}", {"x": {"k": 1, "j": 2}})
case("misc_k9", "{{ x|map('upper')|list }}", {"x": {"k": 1, "j": 2}})
case("misc_l1", "{{ 'aaa'|replace('a', 'bb', 0) }} {{ 'a'|replace('a', 'b', none) }}")
case("misc_l2", "{{ '  '|trim == '' }} {{ none|trim }} {{ 5|trim }}")
case("misc_l3", "{{ [1,2,3]|batch(0)|list }} {{ [1,2,3]|batch(-1)|list }} {{ [1,2,3]|batch(2, 0)|list }}")
case("misc_l4", "{{ 'abc'|indent(-1) }}")
case("misc_l5", "{{ 'x'|center(-5) }}")
case("misc_l6", "{{ [1, 2]|join(none) }}")
case("misc_l7", "{{ 3.7|round(0, 'ceil') }} {{ 3|round(1) }} {{ -0.5|round }} {{ 0.5|round }} {{ 1.5|round }}")
case("misc_l8", "{{ 5|float|string }} {{ '5'|float|int }}")
case("misc_l9", "{{ true|string }} {{ false|int }} {{ none|string|length }}")
case("misc_m1", "{% for x in y %}{{ x }}{% endfor %}", {"y": "ab"})
case("misc_m2", "{% for x in y if x %}{{ x }}{% endfor %}", {"y": [0, 1, None, 2]})
case("misc_m3", "{% for x in range(3) %}{{ loop.revindex }}{% if loop.last %}!{% endif %}{% endfor %}")
case("misc_m4", "{% for x in [] %}{{ x }}{% else %}{{ loop is defined }}{% endfor %}")
case("misc_m5", "{% for x in [1,2,3] %}{% if loop.index is divisibleby 2 %}e{% endif %}{% endfor %}")
case("misc_m6", "{% for x in [1] %}{{ loop.length is number }}{{ loop.first is boolean }}{% endfor %}")
case("misc_m7", "{% for x in [1,2] %}{{ x }}{% else %}never{% endfor %}")
case("misc_m8", "{% for i in range(3) %}{% for j in range(3) %}{% if j > i %}{% break %}{% endif %}{{ i }}{{ j }},{% endfor %}{% endfor %}")
case("misc_m9", "{% for i in range(5) %}{% if i is odd %}{% continue %}{% endif %}{{ i }}{% endfor %}")
case("misc_n1", "{{ messages[0].content.split('\\n')|first }}", {"messages": [{"content": "a\nb"}]})
case("misc_n2", "{{ tools|tojson(indent=4) }}", {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}}}]})
case("misc_n3", "{{ x|tojson }}", {"x": "</script><!-- & \u2028 \u2029"})
case("misc_n4", "{{ x|tojson(ensure_ascii=true) }}", {"x": "\u2028 \U0001F600 é"})
case("misc_n5", "{{ x|tojson(indent=' ') }}", {"x": {"a": [1, {"b": []}]}})
case("misc_n6", "{{ x|tojson(separators=(', ', ': ')) }}", {"x": {"a": [1, 2]}})
case("misc_n7", "{{ x|tojson(indent=2, separators=(',', ' = ')) }}", {"x": {"a": [1, 2]}})
case("misc_n8", "{{ x|tojson(sort_keys=true, indent=1) }}", {"x": {"b": [2, 1], "a": None}})
case("misc_n9", "{{ {'a': x}|tojson }}", {"x": float("inf") if False else 1.0})
case("misc_o1", "{{ 'x'.join(['a']) }} {{ ''.join([]) }} {{ '-'.join('') }}")
case("misc_o2", "{{ 'a.b.c'.split('.', -1) }} {{ 'a.b.c'.split('.', 0) }} {{ 'a.b.c'.rsplit('.', 0) }}")
case("misc_o3", "{{ 'ab'.startswith('') }} {{ ''.startswith('a') }} {{ 'abc'.endswith(('x', 'c')) }}")
case("misc_o4", "{{ 'abc'.find('') }} {{ 'abc'.rfind('') }} {{ 'abc'.count('') }}")
case("misc_o5", "{{ 'Hello'.replace('l', 'L', -1) }} {{ 'aaa'.replace('a', '', 2) }}")
case("misc_o6", "{{ ' a b '.strip(' a') }} {{ 'xyx'.lstrip('x') }} {{ 'xyx'.rstrip('x') }}")
case("misc_o7", "{{ '\\n'.join(['a', 'b']) }}")
case("misc_o8", "{{ 'abc'.upper().lower().title() }}")
case("misc_o9", "{{ 'a,b'.split(',')[1].upper() }}")
case("misc_p1", "{{ {'a': 1}.items()|list }} {{ {'a': 1}.keys()|first }}")
case("misc_p2", "{% for k in {'a': 1, 'b': 2}.keys() %}{{ k }}{% endfor %}")
case("misc_p3", "{{ {'a': none}.get('a', 5) }} {{ {}.get('a')|string }}")
case("misc_p4", "{{ [1, 2, 2].count(2) }} {{ ['a'].index('a') }}")
case("misc_p5", "{{ [3,1,2].index(4) }}")
case("misc_p6", "{{ [].pop() }}")
case("misc_p7", "{{ 'abc'.nosuchmethod() }}")
case("misc_p8", "{{ x.nosuchmethod() }}", {"x": {}})
case("misc_p9", "{{ none.foo() }}")
case("misc_q1", "{{ ns }}", {})
case("misc_q2", "{% set ns = namespace(a=namespace(b=1)) %}{{ ns.a.b }}{% set ns.a = 2 %}{{ ns.a }}")
case("misc_q3", "{% set ns = namespace(x=1) %}{% macro m() %}{% set ns.x = ns.x + 1 %}{% endmacro %}{{ m() }}{{ m() }}{{ ns.x }}")
case("misc_q4", "{% macro m(a, b=2, c=3) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ m(1, c=9) }}")
case("misc_q5", "{% macro m() %}{{ kwargs }}{% endmacro %}{{ m(a=1, b=2) }}")
case("misc_q6", "{% macro m() %}{{ varargs|length }}{% endmacro %}{{ m(1, 2) }}")
case("misc_q7", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, a=2) }}")
case("misc_q8", "{% macro outer() %}{% macro inner() %}in{% endmacro %}{{ inner() }}{% endmacro %}{{ outer() }}")
case("misc_q9", "{% macro m() %}{{ caller(1, 2) }}{% endmacro %}{% call(a, b=5, c=7) m() %}{{ a }}{{ b }}{{ c }}{% endcall %}")
case("misc_r2", "{{ x.y.z }}", {"x": {"y": None}})
case("misc_r3", "{{ x['y']['z'] }}", {"x": {}})
case("misc_r4", "{{ x|default({})|length }}")
case("misc_r5", "{{ (x or {}).get('a', 'd') }}")
case("misc_r6", "{{ x is mapping }} {{ x is iterable }} {{ x is sequence }} {{ x is string }}", {"x": None})
case("misc_r7", "{% if x is not defined or x is none %}nx{% endif %}", {"x": None})
case("misc_r8", "{{ ''.join(x) if x is iterable }}", {"x": ["a", "b"]})
case("misc_r9", "{{ x is sequence and x is not string }}", {"x": "ab"})
case("misc_s1", "{{ 'a' < 'B' }} {{ 'é' > 'z' }} {{ [1, 'a'] < [1, 'b'] }} {{ (1, 2) < (1, 2, 0) }}")
case("misc_s2", "{{ [1] < [1, 2] }} {{ [] < [] }} {{ 2 > 1.5 }} {{ true > false }}")
case("misc_s3", "{{ none < 1 }}")
case("misc_s4", "{{ {} < {} }}")
case("misc_s5", "{{ 1 < 2 < 'a' }}")
case("misc_s6", "{{ 2 < 1 < 'a' }}")
case("misc_s7", "{{ 'a' == 1 < 2 }}")
case("misc_s8", "{{ [1,2] * 2 == [1,2,1,2] }}")
case("misc_s9", "{{ [1] * true }}")
case("misc_t1", "{{ 'x' | upper | lower }} {{ 'X'|lower is lower }}")
case("misc_t2", "{{ -1|abs }} {{ -(1|abs) }} {{ - 1 ** 2 }}")
case("misc_t3", "{{ not 1 | string }}")
case("misc_t4", "{{ 1 + 2|string }}")
case("misc_t5", "{{ (1 + 2)|string ~ 'x' }}")
case("misc_t6", "{{ 'a' ~ 1 + 2 }}")
case("misc_t7", "{{ 2 * 3 ** 2 }} {{ (2 * 3) ** 2 }} {{ 10 / 4 * 2 }} {{ 10 // 4 * 2 }} {{ 2 ** 3 * 2 }}")
case("misc_t8", "{{ 5 - - 3 }} {{ 5 + -3 }} {{ - - 3 }}")
case("misc_t9", "{{ x is defined and x }}", {"x": "v"})
case("misc_u1", "{{ strftime_now('%Y') | int > 2000 }}")
case("misc_u4", "{% set range = 5 %}{{ range }}")
case("misc_u5", "{% set messages = [] %}{{ messages }}", {"messages": [1]})
case("misc_v1", "{% for x in [1, 2] %}{% set outer_x = x %}{% endfor %}{{ outer_x }}")
case("misc_v2", "{% set ns = namespace(v=[]) %}{% for x in [1, 2] %}{% set ns.v = ns.v + [x * 2] %}{% endfor %}{{ ns.v|sum }}")
case("misc_v3", "{% for m in msgs %}{% if loop.first %}{% set first = m %}{% endif %}{{ first is defined }}{% endfor %}", {"msgs": [1, 2]})
case("misc_v4", "{% if true %}{% for x in [1] %}{% set y = x %}{% endfor %}{% endif %}{{ y is defined }}")
case("misc_v5", "{% set x = 1 %}{% if x == 1 %}{% set x = 2 %}{% endif %}{{ x }}")
case("misc_v6", "{% for a in [1] %}{% for b in [2] %}{% set c = a + b %}{% endfor %}{{ c is defined }}{% endfor %}")

# ---- cycles and deep nesting built through namespaces -----------------------------------
case("namespace_cycle_repr", "{% set ns = namespace() %}{% set ns.self = [ns] %}{{ ns }}")
case("namespace_self_repr", "{% set ns = namespace(a=1) %}{% set ns.me = ns %}{{ ns }}")
case("namespace_cycle_in_dict", "{% set ns = namespace(a=1) %}{% set ns.d = {'k': ns} %}{{ [ns] }}")
case("deep_nesting_len", "{% set ns = namespace(x=[]) %}{% for i in range(3000) %}"
     "{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x|length }}")
case("deep_nesting_repr_error", "{% set ns = namespace(x=[]) %}{% for i in range(3000) %}"
     "{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x }}")
case("deep_nesting_identity_eq", "{% set ns = namespace(x=[]) %}{% for i in range(3000) %}"
     "{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x == ns.x }}")
case("repeat_empty_huge", "{{ '' * 1000000000000 }}|{{ ([] * 1000000000000)|length }}")

FEATURES = F
