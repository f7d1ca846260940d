"""The create request, strict: every rule of `POST /api/v1/video/sora-pro` lives here.

Fields are named like the nodes' widgets (snake_case) and serialized with the service's spelling
(aliases). A valid instance *is* the request as it will be sent: defaults are filled in, `nFrames`
is normalized, and inapplicable fields are absent.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from ..errors import InvalidRequestError, shown_value
from .data_url import decoded_size
from .image_fields import check_data_url, check_url
from .lengths import normalize_n_frames
from .models import (
    DEFAULTS,
    MAX_PROMPT_CHARS,
    AspectRatio,
    ModelKind,
    Size,
    VideoModel,
    image_model_for,
    spec_of,
)
from .shots import count_problem, duration_problem

# What the user sees for each field (widget ids; the image arrives as a data URL from `image`).
FIELD_LABELS = {
    "model": "model",
    "prompt": "prompt",
    "imageData": "image",
    "image_data": "image",
    "imageUrl": "image_url",
    "aspectRatio": "aspect_ratio",
    "nFrames": "n_frames",
    "size": "size",
    "removeWatermark": "remove_watermark",
    "isPublic": "is_public",
    "shots": "shots",
    "Scene": "scene",
    "duration": "duration_s",
}

_STRICT = ConfigDict(extra="forbid", populate_by_name=True, use_enum_values=False)


_fail = InvalidRequestError.about


class Shot(BaseModel):
    """One storyboard shot: what happens and for how long."""

    model_config = _STRICT

    scene: str = Field(alias="Scene")
    duration: float

    @field_validator("scene")
    @classmethod
    def _scene_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise _fail("scene", "must describe the shot, got an empty text")
        return value.strip()

    @field_validator("duration")
    @classmethod
    def _duration_in_range(cls, value: float) -> float:
        problem = duration_problem(value)
        if problem:
            raise _fail("duration_s", problem)
        return value

    @field_serializer("duration")
    def _whole_seconds_as_int(self, value: float) -> int | float:
        # The service's own examples send `5`, not `5.0`.
        return int(value) if float(value).is_integer() else value


class CreateVideoRequest(BaseModel):
    """A create request as it will be sent. Build it with `build_create_request`."""

    model_config = _STRICT

    model: VideoModel
    prompt: str | None = None
    image_data: str | None = Field(None, alias="imageData")
    image_url: str | None = Field(None, alias="imageUrl")
    aspect_ratio: AspectRatio = Field(DEFAULTS.aspect_ratio, alias="aspectRatio")
    n_frames: str | None = Field(None, alias="nFrames")
    size: Size | None = None
    remove_watermark: bool | None = Field(None, alias="removeWatermark")
    is_public: bool = Field(DEFAULTS.is_public, alias="isPublic")
    shots: list[Shot] | None = None
    # What the user asked for where the pack had to decide: shown, never sent.
    _asked_n_frames: str | None = PrivateAttr(None)
    _dropped_prompt: bool = PrivateAttr(False)

    @field_validator("image_data", "image_url", mode="before")
    @classmethod
    def _empty_means_absent(cls, value: Any) -> Any:
        # Widgets hold "" when unused: an empty field is no field, and is never sent.
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("n_frames", mode="before")
    @classmethod
    def _frames_as_text(cls, value: Any) -> Any:
        # Normalized per model after validation; accept 10, 10.0 and "10" here.
        if isinstance(value, bool):
            raise _fail("n_frames", f"must be a clip length in seconds, got {shown_value(value)}")
        return None if value is None else str(value)

    @model_validator(mode="after")
    def _apply_rules(self) -> CreateVideoRequest:
        spec = spec_of(self.model)
        self._check_prompt(spec.kind)
        self._check_images(spec.kind)
        self._check_shots(spec.kind)
        self._asked_n_frames = self.n_frames
        # Compared unrounded: the service adds the durations exactly.
        total = sum(shot.duration for shot in self.shots or [])
        self.n_frames = normalize_n_frames(self.model, self.n_frames, at_least=total)
        self._check_options()
        return self

    def notes(self) -> list[str]:
        """What the pack decided for the user: a clip length normalized, a prompt not sent."""
        notes = []
        if self._dropped_prompt:
            notes.append(
                f"prompt is not sent for {self.model.value} (the service does not pass it "
                "upstream): describe each shot instead"
            )
        asked = self._asked_n_frames  # the default is an offered length: never raised
        if asked is not None and _as_length(asked) != self.n_frames:
            why = f"the shots add up to {shots_total(self.shots):g} s" if self.shots else ""
            offered = ", ".join(map(str, spec_of(self.model).frames))
            notes.append(
                f"n_frames {asked} -> {self.n_frames} s ({self.model.value} offers {offered} s"
                + (f"; {why}" if why else "")
                + ")"
            )
        return notes

    def _check_prompt(self, kind: ModelKind) -> None:
        if kind is ModelKind.STORYBOARD:
            # Accepted, like the service does, and never sent: it does not pass it upstream.
            self._dropped_prompt = bool(self.prompt and self.prompt.strip())
            self.prompt = None
            return
        if self.prompt is None or not self.prompt.strip():
            raise _fail("prompt", f"is required for {self.model.value}, got an empty text")
        if len(self.prompt) > MAX_PROMPT_CHARS:
            raise _fail(
                "prompt",
                f"must be at most {MAX_PROMPT_CHARS:,} characters, got {len(self.prompt):,}",
            )

    def _check_images(self, kind: ModelKind) -> None:
        if kind is not ModelKind.IMAGE:
            given = "image" if self.image_data else "image_url" if self.image_url else None
            if given:
                raise _fail(
                    given,
                    f"is not accepted by {self.model.value}: use the model "
                    f"{image_model_for(self.model).value}, which takes an image",
                )
            return
        if self.image_data:
            check_data_url(self.image_data)
            self.image_url = None  # the data URL wins; never send both
        elif self.image_url:
            check_url(self.image_url)
        else:
            raise _fail("image", f"or image_url is required for {self.model.value}")

    def _check_options(self) -> None:
        spec = spec_of(self.model)
        if self.size is not None and not spec.takes_size:
            raise _fail(
                "size", f"applies only to the Pro text/image models, not {self.model.value}"
            )
        if self.size is None and spec.takes_size:
            self.size = DEFAULTS.size
        if self.remove_watermark is not None and not spec.takes_remove_watermark:
            raise _fail("remove_watermark", f"does not apply to {self.model.value}")
        if self.remove_watermark is None and spec.takes_remove_watermark:
            self.remove_watermark = DEFAULTS.remove_watermark

    def _check_shots(self, kind: ModelKind) -> None:
        if kind is not ModelKind.STORYBOARD:
            if self.shots is not None:
                raise _fail("shots", f"are only for sora-2-pro-storyboard, not {self.model.value}")
            return
        problem = count_problem(len(self.shots or []))
        if problem:
            raise _fail("shots", problem)

    def to_payload(self) -> dict[str, Any]:
        """The JSON body, spelled as the service spells it, with only the fields that apply."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")

    def describe(self) -> dict[str, Any]:
        """The payload with the image shortened: what a dry run or a log may show."""
        payload = self.to_payload()
        if "imageData" in payload:
            data = payload["imageData"]
            payload["imageData"] = f"{data[:32]}... ({decoded_size(data):,} bytes)"
        return payload


def _as_length(value: str) -> str:
    try:
        seconds = float(value)
    except ValueError:
        return value
    return str(int(seconds)) if seconds.is_integer() else value


def shots_total(shots: list[Shot]) -> float:
    return round(sum(shot.duration for shot in shots), 3)


def build_create_request(**fields: Any) -> CreateVideoRequest:
    """Validate `fields` (widget names) into a request, or raise `InvalidRequestError`."""
    try:
        return CreateVideoRequest.model_validate(fields)
    except ValidationError as exc:
        raise as_invalid_request(exc) from None


def request_from_widgets(**widgets: Any) -> CreateVideoRequest:
    """Like `build_create_request`, for nodes whose widgets always hold a value.

    `size` and `remove_watermark` widgets exist on nodes that offer models without those fields;
    their values are dropped for those models instead of being refused.
    """
    try:
        spec = spec_of(VideoModel(widgets.get("model")))
    except ValueError:
        return build_create_request(**widgets)
    if not spec.takes_size:
        widgets.pop("size", None)
    if not spec.takes_remove_watermark:
        widgets.pop("remove_watermark", None)
    return build_create_request(**widgets)


def as_invalid_request(exc: ValidationError) -> InvalidRequestError:
    """Turn pydantic's first complaint into one line that names the widget and what is allowed."""
    error = exc.errors()[0]
    loc = [part for part in error["loc"] if isinstance(part, str)]
    index = next((part for part in error["loc"] if isinstance(part, int)), None)
    where = f"shot {index + 1}: " if index is not None and "shots" in loc else ""
    original = (error.get("ctx") or {}).get("error")
    if isinstance(original, InvalidRequestError):
        # The same class (an image refusal stays an InvalidImageError), the shot's place added.
        return type(original)(where + original.message, field=original.field)
    field = FIELD_LABELS.get(loc[-1], loc[-1]) if loc else "request"
    got = error.get("input")
    if error["type"] == "extra_forbidden":
        return InvalidRequestError(f"{field} is not a field the service accepts", field=field)
    if error["type"] == "missing":
        return InvalidRequestError(f"{where}{field} is required", field=field)
    allowed = _allowed_values(error)
    message = f"must be one of {allowed}" if allowed else error["msg"].lower()
    return InvalidRequestError(f"{where}{field} {message}, got {shown_value(got)}", field=field)


def _allowed_values(error: Any) -> str | None:
    expected = (error.get("ctx") or {}).get("expected")
    return str(expected).replace("'", "") if error["type"] == "enum" and expected else None
