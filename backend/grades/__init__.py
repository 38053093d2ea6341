"""What a shop may do about its grade, each step on its lifecycle record: appeal an
inspection's grade (申请复核), publish a reply beside it (商户说明), or ask for a
re-rating visit (申请复查). Appeals and visits are work orders of the shop's regulator."""
