"""Conversations rendered through every DeepSeek chat template (see gen_fixtures.py).

OpenAI chat format, as DeepSeek's V3/R1 templates expect: assistant tool calls are
{"type": "function", "function": {"name", "arguments": <JSON string>}} with content None,
tool results are {"role": "tool", "content": ..., "tool_call_id": ...}. Some conversations
make some templates raise (e.g. None content in a template that concatenates it): those
renders are expected errors and the C++ renderer must fail on them too.
"""

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "城市名称"},
                           "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
        },
    },
}


def call(name, arguments, call_id):
    return {"id": call_id, "type": "function",
            "function": {"name": name, "arguments": arguments}}


def user(content):
    return {"role": "user", "content": content}


def assistant(content):
    return {"role": "assistant", "content": content}


def system(content):
    return {"role": "system", "content": content}


def tool(content, call_id="call_0"):
    return {"role": "tool", "content": content, "tool_call_id": call_id}


CONVERSATIONS = [
    {"id": "single_user", "messages": [user("Hello!")]},
    {"id": "system_user", "messages": [system("You are a helpful assistant."), user("Hi")]},
    {"id": "multi_turn", "messages": [
        user("What is 2+2?"), assistant("4"), user("And 3+3?"), assistant("6"),
        user("Thanks")]},
    {"id": "two_system_messages", "messages": [
        system("Rule one."), system("Rule two."), user("Go")]},
    {"id": "system_only", "messages": [system("Only a system prompt.")]},
    {"id": "assistant_think", "messages": [
        user("Why is the sky blue?"),
        assistant("<think>\nRayleigh scattering...\n</think>\n\nBecause of Rayleigh scattering."),
        user("Explain more")]},
    {"id": "assistant_two_think_closers", "messages": [
        user("q"), assistant("<think>a</think>b</think>final answer"), user("next")]},
    {"id": "assistant_think_last", "messages": [
        user("Solve x+1=2"), assistant("<think>x = 1</think>x = 1")]},
    {"id": "user_mentions_think", "messages": [
        user("What does </think> mean in your output?"), assistant("It closes reasoning.")]},
    {"id": "empty_user_content", "messages": [user(""), assistant(""), user("")]},
    {"id": "empty_messages", "messages": []},
    {"id": "single_tool_call", "messages": [
        user("Weather in Paris?"),
        {"role": "assistant", "content": None,
         "tool_calls": [call("get_weather", '{"city": "Paris"}', "call_0")]},
        tool('{"temperature": 21, "unit": "celsius"}'),
        assistant("It is 21°C in Paris.")], "tools": [WEATHER_TOOL]},
    {"id": "parallel_tool_calls", "messages": [
        user("Weather in Paris and 北京?"),
        {"role": "assistant", "content": None,
         "tool_calls": [call("get_weather", '{"city": "Paris"}', "call_0"),
                        call("get_weather", '{"city": "北京"}', "call_1")]},
        tool('{"temperature": 21}', "call_0"), tool('{"temperature": 30}', "call_1"),
        assistant("Paris 21, Beijing 30.")], "tools": [WEATHER_TOOL]},
    {"id": "tool_output_last", "messages": [
        user("Weather?"),
        {"role": "assistant", "content": None,
         "tool_calls": [call("get_weather", '{"city": "Oslo"}', "call_0")]},
        tool("-3 degrees")], "tools": [WEATHER_TOOL]},
    {"id": "tool_call_then_user", "messages": [
        user("Weather?"),
        {"role": "assistant", "content": None,
         "tool_calls": [call("get_weather", '{"city": "Rome"}', "call_0")]},
        tool("sunny"), user("And tomorrow?")], "tools": [WEATHER_TOOL]},
    {"id": "two_tool_rounds", "messages": [
        user("Plan a trip"),
        {"role": "assistant", "content": None,
         "tool_calls": [call("get_weather", '{"city": "Lima"}', "call_0")]},
        tool("rain", "call_0"),
        {"role": "assistant", "content": None,
         "tool_calls": [call("get_weather", '{"city": "Cusco"}', "call_1")]},
        tool("snow", "call_1"),
        assistant("Pack an umbrella and a coat.")], "tools": [WEATHER_TOOL]},
    {"id": "tool_call_with_content", "messages": [
        user("Weather?"),
        {"role": "assistant", "content": "Let me check.",
         "tool_calls": [call("get_weather", '{"city": "Kyiv"}', "call_0")]},
        tool("cloudy"), assistant("Cloudy.")], "tools": [WEATHER_TOOL]},
    {"id": "tool_call_empty_list", "messages": [
        user("Hi"), {"role": "assistant", "content": "Hello", "tool_calls": []},
        user("Bye")]},
    {"id": "unicode_content", "messages": [
        system("你是一个乐于助人的助手。"), user("Привет 👋 — ça va? 日本語もOK"),
        assistant("Ça va bien! 🎉\u00a0nbsp and \u200b zero-width"), user("emoji: 🧑‍💻")]},
    {"id": "jinja_like_content", "messages": [
        user("Render {{ this }} and {% if x %}that{% endif %} {# not a comment #}"),
        assistant("Literal {{ braces }} stay; raw \\n backslash.")]},
    {"id": "special_tokens_in_content", "messages": [
        user("<｜begin▁of▁sentence｜>fake bos<｜User｜>fake user<|EOT|>"),
        assistant("<｜end▁of▁sentence｜> inside")]},
    {"id": "whitespace_content", "messages": [
        system("  leading and trailing  \n"), user("\n\nline1\r\nline2\ttab  "),
        assistant("   "), user(" x ")]},
    {"id": "long_multi_turn", "messages": [
        m for i in range(6) for m in (user(f"question {i}"), assistant(f"answer {i}"))]},
    {"id": "assistant_first", "messages": [assistant("I speak first."), user("ok")]},
    {"id": "consecutive_users", "messages": [user("one"), user("two"), user("three")]},
    {"id": "system_in_middle", "messages": [
        user("a"), system("late system"), assistant("b"), user("c")]},
    {"id": "extra_fields", "messages": [
        {"role": "user", "content": "named", "name": "alice"},
        {"role": "assistant", "content": "reply", "reasoning_content": "hidden reasoning"},
        user("again")]},
    {"id": "none_assistant_content", "messages": [user("q"), assistant(None)]},
    {"id": "thinking_flag", "messages": [user("think please")], "extra": {"thinking": True}},
    {"id": "enable_thinking_flag", "messages": [
        user("q1"), assistant("a1"), user("q2")], "extra": {"enable_thinking": True}},
    {"id": "prefix_assistant", "messages": [
        user("continue"), {"role": "assistant", "content": "Partial", "prefix": True}],
     "extra": {"thinking": True}},
    {"id": "tool_call_dict_arguments", "messages": [
        system("Use tools."), user("Weather in Oslo in F?"),
        {"role": "assistant", "content": "", "reasoning_content": "need the tool",
         "tool_calls": [call("get_weather", {"city": "Oslo", "unit": "fahrenheit", "days": 2},
                             "call_0")]},
        tool('{"t": 27}'), assistant("27°F")], "tools": [WEATHER_TOOL]},
    {"id": "developer_role", "messages": [
        {"role": "developer", "content": "Answer briefly."}, user("Hi"), assistant("Hello")],
     "tools": [WEATHER_TOOL]},
    {"id": "response_format", "messages": [
        system("JSON only."),
        {"role": "user", "content": "List two colors",
         "response_format": {"type": "json_object", "schema": {"colors": ["string"]}}}],
     "extra": {"enable_thinking": False}},
    {"id": "multiline_system_and_code", "messages": [
        system("Line 1\nLine 2"),
        user("```python\ndef f(x):\n    return x * 2\n```\nWhat does f do?"),
        assistant("It doubles x.")]},
]
