// Exclusion: node 2 a binary switch that stays, node 3 a binary switch whose exclusion button
// is "pressed" as soon as the controller enters exclusion mode. The stock mock only answers
// Ready and Failed to RemoveNodeFromNetwork 0x4B, so this file adds a behaviour (the mock's
// `defineBehavior`, which takes precedence over the defaults) that plays the controller's side
// as INS13954 and zwave-js `Controller.performExclusion` describe it: Ready, NodeFound,
// RemovingSlave with the node id, Done; the node then leaves the mock's node list. A STOP with
// a callback id (a host giving up) is answered Done; one without (after Done) gets nothing.
// Network file for the zwave-js mock controller (../../../shared/zwave-mock/README.md).
const switchNode = (id) => ({
	id,
	capabilities: {
		genericDeviceClass: 0x10,
		specificDeviceClass: 0x01,
		commandClasses: [
			{ ccId: 0x25, isSupported: true, version: 2, defaultValue: false },
			{ ccId: 0x86, isSupported: true, version: 3 },
		],
	},
});

module.exports.default = ({ require }) => {
	const serial = require("@zwave-js/serial/serialapi");
	const { RemoveNodeFromNetworkRequestStatusReport: Report, RemoveNodeStatus: Status } = serial;
	const REMOVE_NODE = 0x4b;
	const STOP = 0x05;
	const leaving = 3;
	const removeNode = {
		async onHostMessage(controller, msg) {
			if (msg.functionType !== REMOVE_NODE) return;
			const callbackId = msg.callbackId;
			const report = (status, nodeId) =>
				controller.sendMessageToHost(
					new Report(nodeId === undefined ? { callbackId, status } : { callbackId, status, nodeId }),
				);
			if (msg.removeNodeType === STOP) {
				if (callbackId !== 0) await report(Status.Done);
				return true;
			}
			await report(Status.Ready);
			const node = controller.nodes.get(leaving);
			if (!node) return true;
			void (async () => {
				const wait = (ms) => new Promise((r) => setTimeout(r, ms));
				await wait(10);
				await report(Status.NodeFound);
				await wait(10);
				await report(Status.RemovingSlave, leaving);
				await wait(10);
				controller.removeNode(node);
				await report(Status.Done, leaving);
			})();
			return true;
		},
	};
	return {
		controller: { homeId: 0xc0ffee0a, ownNodeId: 1 },
		nodes: [switchNode(2), switchNode(leaving)],
		onInit(controller) {
			controller.defineBehavior(removeNode);
		},
	};
};
