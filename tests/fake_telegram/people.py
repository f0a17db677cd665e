"""Users, groups and membership: who exists, who is in which chat, who blocked the bot."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from .models import FakeGroup, FakeUser
from .world import MEMBER_STATUSES, WorldCore


class PeopleMixin(WorldCore):
    """Creating users and groups; the bot joining, leaving, being blocked."""

    def new_user(
        self,
        first_name: str = "Test",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "pl",
        *,
        started: bool = True,
    ) -> FakeUser:
        """A new user. started=False: they never opened the bot, so the bot can't write to
        them (403 "bot can't initiate conversation with a user") until they send something."""
        with self._cond:
            user = FakeUser(
                id=self._next_user_id,
                first_name=first_name,
                last_name=last_name,
                username=username,
                language_code=language_code,
            )
            self._next_user_id += 1
            self._users[user.id] = user
            if started:
                self._started.add(user.id)
            return user

    def new_group(
        self,
        title: str = "Test group",
        admins: Iterable[FakeUser] = (),
        members: Iterable[FakeUser] = (),
        *,
        supergroup: bool = True,
        with_bot: bool = False,
        bot_admin: bool = False,
        username: str | None = None,
    ) -> FakeGroup:
        """A group; the first admin is its creator. The bot is outside the group unless
        with_bot/bot_admin is set or add_bot_to_group() is called (which sends updates)."""
        with self._cond:
            if supergroup:
                group_id = -1_001_000_000_000 - self._next_group_id
            else:
                group_id = -4_000_000_000 - self._next_group_id
            self._next_group_id += 1
            group = FakeGroup(
                id=group_id,
                title=title,
                type="supergroup" if supergroup else "group",
                username=username,
            )
            for index, admin in enumerate(admins):
                group.statuses[admin.id] = "creator" if index == 0 else "administrator"
            for member in members:
                group.statuses.setdefault(member.id, "member")
            if with_bot or bot_admin:
                group.bot_status = "administrator" if bot_admin else "member"
                self._groups_bot_was_in.add(group_id)
            self._groups[group_id] = group
            return group

    def set_member_status(self, group: FakeGroup, user: FakeUser, status: str) -> None:
        """Change a user's membership (creator/administrator/member/restricted/left/kicked)."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._cond:
            self._groups[group.id].statuses[user.id] = status
            self._cond.notify_all()

    def member_api(self, user: FakeUser, status: str) -> dict[str, Any]:
        """A ChatMember object as Telegram would return it."""
        data: dict[str, Any] = {"status": status, "user": user.to_api()}
        if status == "creator":
            data["is_anonymous"] = False
        elif status == "administrator":
            data.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
                can_pin_messages=True,
                can_manage_topics=False,
            )
        elif status == "restricted":
            data.update(
                is_member=True,
                can_send_messages=False,
                can_send_audios=False,
                can_send_documents=False,
                can_send_photos=False,
                can_send_videos=False,
                can_send_video_notes=False,
                can_send_voice_notes=False,
                can_send_polls=False,
                can_send_other_messages=False,
                can_add_web_page_previews=False,
                can_change_info=False,
                can_invite_users=False,
                can_pin_messages=False,
                can_manage_topics=False,
                until_date=0,
            )
        elif status == "kicked":
            data["until_date"] = 0
        return data

    def _chat_member_update(
        self, chat_id: int, by: FakeUser, old: dict[str, Any], new: dict[str, Any]
    ) -> int:
        payload = {
            "chat": self._chat_api(chat_id),
            "from": by.to_api(),
            "date": int(time.time()),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        return self._queue_update("my_chat_member", payload)

    def add_bot_to_group(self, group: FakeGroup, by: FakeUser, *, as_admin: bool = False) -> int:
        """`by` adds the bot: a my_chat_member update, then a new_chat_members message."""
        with self._cond:
            adder = self._user(by)
            real = self._groups[group.id]
            old = self.member_api(self.bot, real.bot_status)
            real.bot_status = "administrator" if as_admin else "member"
            self._groups_bot_was_in.add(real.id)
            group.bot_status = real.bot_status
            update_id = self._chat_member_update(
                real.id, adder, old, self.member_api(self.bot, real.bot_status)
            )
            message = self._new_message(
                real.id, from_bot=False, sender_id=adder.id, method="service"
            )
            payload = {
                "message_id": message.message_id,
                "from": adder.to_api(),
                "chat": real.to_api(),
                "date": message.date,
                "new_chat_members": [self.bot.to_api()],
            }
            message.api = payload
            self._queue_update("message", payload)
            return update_id

    def remove_bot_from_group(self, group: FakeGroup, by: FakeUser) -> int:
        """`by` removes the bot (status "kicked" in supergroups, "left" in basic groups)."""
        with self._cond:
            real = self._groups[group.id]
            old = self.member_api(self.bot, real.bot_status)
            real.bot_status = "kicked" if real.type == "supergroup" else "left"
            group.bot_status = real.bot_status
            new = self.member_api(self.bot, real.bot_status)
            return self._chat_member_update(real.id, self._user(by), old, new)

    def block_user(self, user: FakeUser) -> int:
        """The user blocks the bot: sends to them fail with 403 from now on."""
        with self._cond:
            blocker = self._user(user)
            self._blocked.add(blocker.id)
            return self._chat_member_update(
                blocker.id,
                blocker,
                self.member_api(self.bot, "member"),
                self.member_api(self.bot, "kicked"),
            )

    def unblock_user(self, user: FakeUser) -> int:
        with self._cond:
            blocker = self._user(user)
            self._blocked.discard(blocker.id)
            self._started.add(blocker.id)
            return self._chat_member_update(
                blocker.id,
                blocker,
                self.member_api(self.bot, "kicked"),
                self.member_api(self.bot, "member"),
            )

    def is_blocked(self, user: FakeUser) -> bool:
        with self._cond:
            return user.id in self._blocked
