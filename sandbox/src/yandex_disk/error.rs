//! The Disk error triple `{message, description, error}` (docs/protocols.md §2.1): `message` in
//! Russian as the recordings show it, `description` in English, `error` the stable code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::util::json_response;

#[derive(Debug)]
pub struct DiskError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    pub message: String,
}

pub type DiskResult<T> = Result<T, DiskError>;

impl DiskError {
    fn new(status: StatusCode, error: &'static str, description: String, message: String) -> Self {
        DiskError {
            status,
            error,
            description,
            message,
        }
    }

    /// The body of the 401 the real service sends for a missing, unknown or expired token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "UnauthorizedError",
            "Unauthorized".into(),
            "Не авторизован.".into(),
        )
    }

    /// A token without the right the request needs (or outside its app folder).
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "ForbiddenError",
            "Forbidden.".into(),
            "Нет доступа.".into(),
        )
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "DiskNotFoundError",
            "Resource not found.".into(),
            "Не удалось найти запрошенный ресурс.".into(),
        )
    }

    pub fn operation_not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "DiskOperationNotFoundError",
            "Operation not found.".into(),
            "Операция не найдена.".into(),
        )
    }

    /// The parent folder of a target does not exist.
    pub fn path_doesnt_exist(path: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "DiskPathDoesntExistsError",
            format!("Specified path \"{path}\" doesn't exists."),
            format!("Указанного пути \"{path}\" не существует."),
        )
    }

    /// Wording verbatim from the recordings (mkdir on an existing folder, upload onto a folder).
    pub fn points_to_directory(path: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "DiskPathPointsToExistentDirectoryError",
            format!("Specified path \"{path}\" points to existent directory."),
            format!("По указанному пути \"{path}\" уже существует папка с таким именем."),
        )
    }

    pub fn already_exists(path: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "DiskResourceAlreadyExistsError",
            format!("Resource \"{path}\" already exists."),
            format!("Ресурс \"{path}\" уже существует."),
        )
    }

    pub fn md5_differs() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "MD5DifferError",
            "MD5 checksum of the resource differs from the specified one.".into(),
            "MD5-хеш ресурса отличается от указанного.".into(),
        )
    }

    /// [unverified] the code for copying or moving a folder into itself is not in the reference;
    /// the status is a conflict like every other placement error.
    pub fn into_itself() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "DiskCannotCopyOrMoveIntoItselfError",
            "Cannot copy or move a resource into itself.".into(),
            "Нельзя скопировать или переместить ресурс в самого себя.".into(),
        )
    }

    /// A bad query parameter, worded as the real `FieldValidationError`.
    pub fn field(name: &str, problem_en: &str, problem_ru: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "FieldValidationError",
            format!("Error validating field \"{name}\": {problem_en}"),
            format!("Ошибка проверки поля \"{name}\": {problem_ru}"),
        )
    }

    pub fn required(name: &str) -> Self {
        Self::field(name, "This field is required.", "Это поле является обязательным.")
    }

    pub fn too_big() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "FileTooBigError",
            "File is too big for this Disk.".into(),
            "Файл слишком большой.".into(),
        )
    }

    pub fn no_space() -> Self {
        Self::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "DiskStorageQuotaExhaustedError",
            "Insufficient storage space on Disk.".into(),
            "Недостаточно свободного места.".into(),
        )
    }

    pub fn not_acceptable() -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            "NotAcceptableError",
            "Resource cannot be represented in the requested format.".into(),
            "Ресурс не может быть представлен в запрошенном формате.".into(),
        )
    }

    /// For what the sandbox deliberately does not emulate (folders as zip archives).
    pub fn not_emulated(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplementedError",
            format!("{what} is not emulated by the sandbox."),
            format!("{what}: не поддерживается песочницей."),
        )
    }
}

impl IntoResponse for DiskError {
    fn into_response(self) -> Response {
        json_response(
            self.status,
            "application/json",
            &json!({"message": self.message, "description": self.description, "error": self.error}),
        )
    }
}
