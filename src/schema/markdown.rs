//! docs/methods.md, rendered from the method list.

use super::param::MAX_SECONDS;
use super::{Method, Origin, Param, ParamType, Presence};

/// Renders docs/methods.md from the registry.
pub(crate) fn methods_markdown(methods: &[&Method]) -> String {
    let mut out = String::from(
        "# Methods\n\n\
         Generated from the registry by `scripts/regenerate.sh` (the test command fails when \
         this file is stale). Call any method with \
         `diskbridge_call(\"Module.Function\", params_json)` or its own export. Keys are matched \
         case-insensitively and may also be given by their OPI English or Russian names; \
         booleans accept \"true\"/\"false\" and numbers numeric strings. Every method accepts \
         `options` (per-call configuration); API methods take `token` or `credentials`.\n",
    );
    let mut module = "";
    for method in methods {
        if method.module != module {
            module = method.module;
            out.push_str(&format!("\n## {module}\n"));
        }
        out.push_str(&format!("\n### {}\n\n", method.full_name()));
        let origin = match method.origin {
            Origin::Opi => "OPI function",
            Origin::New => "new in diskbridge",
        };
        out.push_str(&format!(
            "{} ({origin}). C export: `{}`.",
            method.doc,
            method.c_export()
        ));
        if !method.name_ru.is_empty() {
            out.push_str(&format!(" Russian name: `{}.{}`.", method.module, method.name_ru));
        }
        for alias in method.aliases {
            out.push_str(&format!(" Alias: `{alias}`."));
        }
        out.push_str(&format!("\n\nResult: {}\n\n", method.result));
        out.push_str(
            "| key | OPI name | Russian | CLI | type | required / default | |\n|---|---|---|---|---|---|---|\n",
        );
        for param in method.all_params() {
            let presence = match param.presence {
                Presence::Required => "required".to_string(),
                Presence::Optional => "optional".to_string(),
                Presence::Default(literal) => format!("`{literal}`"),
            };
            out.push_str(&format!(
                "| `{}` | {} | {} | `--{}` | {} | {} | {} |\n",
                param.key,
                param.opi,
                param.opi_ru,
                param.cli,
                type_text(param),
                presence,
                param.doc
            ));
        }
    }
    out
}

/// The type column: a duration in seconds says its bound.
fn type_text(param: &Param) -> String {
    match param.ty {
        ParamType::Integer if param.max == MAX_SECONDS => format!("integer (seconds, at most {MAX_SECONDS})"),
        ty => ty.as_str().to_string(),
    }
}
