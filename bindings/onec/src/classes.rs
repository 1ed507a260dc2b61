//! The add-in's classes, one per module, and their members, all derived from the method
//! registry: a module's methods under OPI's English and Russian names with OPI's positional
//! parameters, plus the members every class has (`Call`, the job members, the properties).

use std::sync::OnceLock;

use diskbridge::registry::{self, Method, Param, Presence};
use serde_json::Value;

/// Every class, in `GetClassNames` order. Each object registers under its class name, so 1C
/// (which uses the registered name) and OneScript (which uses the class name) agree.
pub const CLASS_NAMES: [&str; 6] = [
    "YandexID",
    "YandexDisk",
    "Yandex360",
    "GoogleWorkspace",
    "GoogleDrive",
    "Library",
];

/// The registry key of a file parameter, and of the bytes that may stand in for it: a 1C
/// binary value given for `file` is sent as `data_base64`.
pub const FILE_KEY: &str = "file";
pub const DATA_KEY: &str = "data_base64";

/// What a member does when called.
#[derive(Clone, Copy)]
pub enum Action {
    /// `Call(Method, ParamsJSON)`: any method; returns the reply envelope as JSON text.
    Call,
    /// `StartJob(Method, ParamsJSON)`: runs a method in the background; returns the job id.
    StartJob,
    /// `JobStatus(JobId)`: the job's state, progress and, once ended, its reply envelope.
    JobStatus,
    /// `CancelJob(JobId)`: true if the job was still running.
    CancelJob,
    /// A registry method called with positional parameters; returns its result.
    Method(&'static Method),
}

/// One positional parameter of a member.
pub struct Slot {
    pub name: &'static str,
    pub name_ru: &'static str,
    /// `None` for a required parameter; otherwise what `GetParamDefValue` reports. Optional
    /// parameters without a registry default report "" (which stands for "not given"), because
    /// OneScript treats a parameter as optional only when its default is not Undefined.
    pub default: Option<Value>,
    /// The registry parameter the value goes to (`None` for the fixed members).
    pub param: Option<&'static Param>,
}

impl Slot {
    fn fixed(name: &'static str, name_ru: &'static str, default: Option<&str>) -> Slot {
        Slot {
            name,
            name_ru,
            default: default.map(|d| Value::String(d.to_string())),
            param: None,
        }
    }

    fn registry(param: &'static Param) -> Slot {
        let default = match param.presence {
            Presence::Required => None,
            Presence::Optional => Some(Value::String(String::new())),
            Presence::Default(literal) => {
                Some(serde_json::from_str(literal).expect("registry defaults are JSON literals"))
            }
        };
        Slot {
            name: if param.opi.is_empty() { param.key } else { param.opi },
            name_ru: if param.opi_ru.is_empty() {
                param.key
            } else {
                param.opi_ru
            },
            default,
            param: Some(param),
        }
    }

    pub fn required(&self) -> bool {
        self.default.is_none()
    }
}

pub struct Member {
    /// `GetMethodName(n, 0)`: the international name.
    pub name: String,
    /// `GetMethodName(n, 1)`: the Russian name.
    pub name_ru: String,
    pub action: Action,
    pub slots: Vec<Slot>,
    /// Every accepted name, lower-cased: BSL is case-insensitive and OneScript passes names as
    /// the script wrote them.
    lookup: Vec<String>,
}

impl Member {
    fn new(names: &[&str], action: Action, slots: Vec<Slot>) -> Member {
        Member {
            name: names[0].to_string(),
            name_ru: names.get(1).unwrap_or(&names[0]).to_string(),
            action,
            slots,
            lookup: names.iter().map(|n| n.to_lowercase()).collect(),
        }
    }

    fn matches(&self, lowered: &str) -> bool {
        self.lookup.iter().any(|n| n == lowered)
    }
}

/// A read-only property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Property {
    /// The library version.
    Version,
    /// The reply envelope of the last call if it failed, "" if it succeeded.
    LastError,
    /// The reply envelope of the last call (with refreshed `credentials` when there are any).
    LastReply,
}

/// Properties with their international and Russian names, in `FindProp` order.
pub const PROPERTIES: [(Property, &str, &str); 3] = [
    (Property::Version, "Version", "Версия"),
    (Property::LastError, "LastError", "ПоследняяОшибка"),
    (Property::LastReply, "LastReply", "ПоследнийОтвет"),
];

pub struct Class {
    pub name: &'static str,
    pub members: Vec<Member>,
}

impl Class {
    pub fn find_member(&self, name: &str) -> Option<usize> {
        let lowered = name.to_lowercase();
        self.members.iter().position(|m| m.matches(&lowered))
    }
}

pub fn find_property(name: &str) -> Option<usize> {
    let lowered = name.to_lowercase();
    PROPERTIES
        .iter()
        .position(|(_, en, ru)| en.to_lowercase() == lowered || ru.to_lowercase() == lowered)
}

/// The class named `name` (case-sensitive, as `GetClassObject` receives it).
pub fn class(name: &str) -> Option<&'static Class> {
    static CLASSES: OnceLock<Vec<Class>> = OnceLock::new();
    CLASSES
        .get_or_init(|| CLASS_NAMES.iter().map(|name| build(name)).collect())
        .iter()
        .find(|class| class.name == name)
}

fn build(name: &'static str) -> Class {
    let method = || Slot::fixed("Method", "Метод", None);
    let params_json = || Slot::fixed("ParamsJSON", "ПараметрыJSON", Some("{}"));
    let job_id = || Slot::fixed("JobId", "ИдентификаторЗадания", None);
    let mut members = vec![
        Member::new(&["Call", "Вызвать"], Action::Call, vec![method(), params_json()]),
        Member::new(
            &["StartJob", "НачатьЗадание"],
            Action::StartJob,
            vec![method(), params_json()],
        ),
        Member::new(&["JobStatus", "СостояниеЗадания"], Action::JobStatus, vec![job_id()]),
        Member::new(&["CancelJob", "ОтменитьЗадание"], Action::CancelJob, vec![job_id()]),
    ];
    for method in registry::methods() {
        let names = names_in_class(method, name);
        if !names.is_empty() {
            let slots = positional_params(method).into_iter().map(Slot::registry).collect();
            members.push(Member::new(&names, Action::Method(method), slots));
        }
    }
    Class { name, members }
}

/// The function names under which `method` belongs to `class`: its own English and Russian
/// names in its module, and the names of its aliases in other modules (OPI's YandexDisk module
/// re-exports YandexID's sign-in functions: `YandexDisk.GetConfirmationCode`).
fn names_in_class(method: &Method, class: &str) -> Vec<&'static str> {
    let mut names = Vec::new();
    if method.module == class {
        names.push(method.name);
        if !method.name_ru.is_empty() {
            names.push(method.name_ru);
        }
    }
    for alias in method.aliases {
        if let Some(function) = alias.strip_prefix(class).and_then(|rest| rest.strip_prefix('.')) {
            if !names.contains(&function) {
                names.push(function);
            }
        }
    }
    names
}

/// A method's parameters in positional order: the registry's (OPI's) order, except that
/// `data_base64` is not a position of its own when the method takes `file`, because binary
/// data given for `file` goes there.
pub fn positional_params(method: &Method) -> Vec<&'static Param> {
    let params = method.all_params();
    let takes_file = params.iter().any(|p| p.key == FILE_KEY);
    params
        .into_iter()
        .filter(|p| !(takes_file && p.key == DATA_KEY))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Russian/English member table of docs/1c.md.
    fn members_markdown() -> String {
        let mut out = String::new();
        for name in CLASS_NAMES {
            let class = class(name).expect("every class is built");
            out.push_str(&format!(
                "\n### {name}\n\n`Новый(\"AddIn.DiskBridge.{name}\")`\n\n| Method | Метод | Parameters (Параметры) |\n|---|---|---|\n"
            ));
            for member in &class.members {
                let slots: Vec<String> = member
                    .slots
                    .iter()
                    .map(|slot| {
                        let names = if slot.name == slot.name_ru {
                            slot.name.to_string()
                        } else {
                            format!("{} ({})", slot.name, slot.name_ru)
                        };
                        match &slot.default {
                            None => names,
                            Some(Value::String(s)) if s.is_empty() => format!("[{names}]"),
                            Some(default) => format!("[{names} = {default}]"),
                        }
                    })
                    .collect();
                out.push_str(&format!(
                    "| `{}` | `{}` | {} |\n",
                    member.name,
                    member.name_ru,
                    slots.join(", ")
                ));
            }
        }
        out
    }

    #[test]
    fn the_member_table_of_the_docs_is_generated_from_the_registry() {
        let (begin, end) = ("<!-- members:begin (generated) -->\n", "<!-- members:end -->");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/1c.md");
        let doc = std::fs::read_to_string(&path).expect("docs/1c.md exists");
        let start = doc.find(begin).expect("docs/1c.md has the begin marker") + begin.len();
        let stop = doc.find(end).expect("docs/1c.md has the end marker");
        let table = members_markdown();
        if doc[start..stop] == table {
            return;
        }
        if std::env::var_os("DISKBRIDGE_BLESS").is_some() {
            // scripts/regenerate.sh: replace the file at once, never leaving half of it.
            let temporary = path.with_extension("regenerating");
            std::fs::write(&temporary, format!("{}{table}{}", &doc[..start], &doc[stop..])).expect("docs/ is writable");
            std::fs::rename(&temporary, &path).expect("docs/1c.md is writable");
            return;
        }
        panic!("stale generated files: docs/1c.md (the member table); run scripts/regenerate.sh and commit it");
    }

    #[test]
    fn every_registry_method_of_a_class_module_is_a_member_under_both_names() {
        for method in registry::methods() {
            let Some(class) = class(method.module) else {
                assert_eq!(
                    method.module, "Jobs",
                    "only Jobs is not a class (it has the job members)"
                );
                continue;
            };
            let index = class.find_member(method.name).expect("found by its English name");
            assert_eq!(class.find_member(method.name_ru), Some(index), "{}", method.name_ru);
            assert_eq!(class.find_member(&method.name.to_uppercase()), Some(index));
            assert!(matches!(class.members[index].action, Action::Method(m) if std::ptr::eq(m, *method)));
        }
    }

    #[test]
    fn aliases_in_another_module_make_members_there() {
        let disk = class("YandexDisk").unwrap();
        let index = disk.find_member("ПОЛУЧИТЬКОДПОДТВЕРЖДЕНИЯ").unwrap();
        let member = &disk.members[index];
        assert_eq!(member.name, "GetConfirmationCode");
        assert_eq!(member.name_ru, "ПолучитьКодПодтверждения");
        let method = registry::find("YandexID.GetConfirmationCode").unwrap();
        assert!(matches!(member.action, Action::Method(m) if std::ptr::eq(m, method)));
    }

    #[test]
    fn no_two_members_or_properties_share_a_name() {
        for name in CLASS_NAMES {
            let class = class(name).unwrap();
            let mut seen = std::collections::HashSet::new();
            for member in &class.members {
                for lowered in &member.lookup {
                    assert!(seen.insert(lowered.clone()), "{name}: `{lowered}` names two members");
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (_, en, ru) in PROPERTIES {
            assert!(seen.insert(en.to_lowercase()) && seen.insert(ru.to_lowercase()));
        }
    }

    #[test]
    fn upload_file_takes_opi_positions_with_data_folded_into_file() {
        let disk = class("YandexDisk").unwrap();
        let member = &disk.members[disk.find_member("UploadFile").unwrap()];
        let names: Vec<&str> = member.slots.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "Token",
                "Path",
                "File",
                "Overwrite",
                "credentials",
                "options",
                "credentials_file"
            ]
        );
        assert!(member.slots[1].required());
        assert_eq!(member.slots[0].default, Some(Value::String(String::new())));
        assert_eq!(member.slots[3].default, Some(Value::Bool(false)));
    }

    #[test]
    fn every_class_has_the_fixed_members_even_without_methods() {
        for name in CLASS_NAMES {
            let class = class(name).unwrap();
            for fixed in ["call", "Вызвать", "StartJob", "jobstatus", "ОтменитьЗадание"] {
                assert!(class.find_member(fixed).is_some(), "{name} lacks {fixed}");
            }
        }
        assert_eq!(find_property("lasterror"), Some(1));
        assert_eq!(find_property("ПОСЛЕДНЯЯОШИБКА"), Some(1));
        assert_eq!(find_property("Nothing"), None);
    }
}
